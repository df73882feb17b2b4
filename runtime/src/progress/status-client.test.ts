import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeRuntime } from "../fake/fake-runtime.ts";
import { InstanceGoneError } from "./instance-gone.ts";
import { statusClient } from "./status-client.ts";

describe("the status client (how far an instance has processed)", () => {
  let server: Server;
  let endpoint: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ processed: [{ topic: "in", partition: 0, offset: 7 }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function runtimeWith(instanceEndpoint: string) {
    const runtime = new FakeRuntime();
    const info = await runtime.run(
      { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
      { workload: "w", instance: "w-0", node: "node-a", role: "primary", incarnation: 0 },
    );
    info.endpoint = instanceEndpoint;
    let inspections = 0;
    const inspect = runtime.inspect.bind(runtime);
    runtime.inspect = (instance) => {
      inspections += 1;
      return inspect(instance);
    };
    return { runtime, inspections: () => inspections };
  }

  it("asks the runtime where an instance is once, not on every poll", async () => {
    const { runtime, inspections } = await runtimeWith(endpoint);
    const progress = statusClient(runtime, 60_000);
    for (let i = 0; i < 5; i++) {
      expect(await progress("w-0")).toEqual({
        offsets: [{ topic: "in", partition: 0, offset: 7 }],
      });
    }
    expect(inspections()).toBe(1);
  });

  it("looks again when a poll fails, and says so when the instance is gone", async () => {
    const { runtime, inspections } = await runtimeWith("127.0.0.1:1");
    const progress = statusClient(runtime, 60_000);
    // Somewhere nobody answers, but the instance is still there: a failed poll, not gone.
    await expect(progress("w-0")).rejects.not.toBeInstanceOf(InstanceGoneError);
    expect(inspections()).toBe(2);
    await runtime.remove("w-0");
    await expect(progress("w-0")).rejects.toBeInstanceOf(InstanceGoneError);
  });

  it("follows a name to its new address (a swap's second round)", async () => {
    const { runtime } = await runtimeWith("127.0.0.1:1");
    const progress = statusClient(runtime, 60_000);
    await expect(progress("w-0")).rejects.toThrow();
    const info = await runtime.inspect("w-0");
    if (info) info.endpoint = endpoint; // the name now belongs to an instance elsewhere
    // The poll still goes to the address it knew, fails, and the client looks the name up again.
    await expect(progress("w-0")).rejects.toThrow();
    expect((await progress("w-0")).offsets[0]?.offset).toBe(7);
  });
});
