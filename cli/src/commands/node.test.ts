import { FakeRuntime } from "@shadow/runtime/fake";
import { describe, expect, it } from "vitest";
import { node } from "./node.ts";

const spec = { entry: "/srv/w.mjs", memoryBytes: 1 << 28, httpPort: 8080 };
const identity = (name: string) => ({
  workload: name,
  instance: name,
  node: "node-a",
  role: "primary" as const,
  incarnation: 0,
});

describe("shadow node", () => {
  it("cordons, drains and uncordons through the runtime; drain waits until what may move has left", async () => {
    const runtime = new FakeRuntime();
    await runtime.run(spec, identity("orders-0"));
    await runtime.run({ ...spec, labels: { "shadow.io/migrate": "never" } }, identity("keep-0"));
    const lines: string[] = [];
    const out = (line: string) => lines.push(line);
    expect(await node(runtime, "cordon", "node-a", { wait: false, timeoutMs: 1 }, out)).toBe(0);
    expect(lines.at(-1)).toMatch(/^node-a {2}cordoned {2}instances 2\/8/);
    // Someone (pressure-svc) moves orders-0 away a moment after the drain began.
    setTimeout(() => void runtime.remove("orders-0"), 50);
    const code = await node(
      runtime,
      "drain",
      "node-a",
      { wait: true, timeoutMs: 5_000, intervalMs: 10 },
      out,
    );
    expect(code).toBe(0);
    expect(lines).toContain("node-a: 1 instance(s) to leave: orders-0");
    expect(lines.at(-1)).toBe("node-a drained; staying (opted out): keep-0");
    expect((await runtime.nodes())[0]?.pressure).toMatchObject({ cordoned: true, draining: true });
    await node(runtime, "uncordon", "node-a", { wait: false, timeoutMs: 1 }, out);
    expect((await runtime.nodes())[0]?.pressure).toMatchObject({
      cordoned: false,
      draining: false,
    });
  });

  it("gives up after its timeout, exit 1, when something stays", async () => {
    const runtime = new FakeRuntime();
    await runtime.run(spec, identity("stuck-0"));
    const lines: string[] = [];
    const code = await node(
      runtime,
      "drain",
      "node-a",
      { wait: true, timeoutMs: 50, intervalMs: 10 },
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe("node-a not drained within 0 s");
  });

  it("asks again when a listing fails while instances come and go, and still sees the node drained", async () => {
    const runtime = new FakeRuntime();
    await runtime.run(spec, identity("orders-0"));
    const lines: string[] = [];
    // One listing fails (runc caught a container half removed), as the instance leaves.
    const list = runtime.list.bind(runtime);
    let failed = 0;
    setTimeout(() => {
      runtime.list = async () => {
        runtime.list = list;
        failed += 1;
        throw new Error("runc list: container does not exist");
      };
      void runtime.remove("orders-0");
    }, 30);
    const code = await node(
      runtime,
      "drain",
      "node-a",
      { wait: true, timeoutMs: 5_000, intervalMs: 10 },
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe("node-a drained");
    expect(failed).toBe(1);
  });
});
