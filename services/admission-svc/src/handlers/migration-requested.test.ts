import {
  buildEvent,
  type IncomingEvent,
  MigrationAdmitted,
  MigrationRejected,
  MigrationRequested,
  type OutgoingEvent,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { FENCE_LABEL, LogLedger } from "@shadow/migration";
import { FakeRuntime } from "@shadow/runtime/fake";
import { beforeEach, describe, expect, it } from "vitest";
import type { AdmissionDeps } from "../deps.ts";
import { onMigrationRequested } from "./migration-requested.ts";

let runtime: FakeRuntime;
let ledger: LogLedger;
let offset: number;
/** How often admission asked the runtime, and a fault to answer with next. */
let asked: number;
let fault: Error | undefined;

beforeEach(async () => {
  runtime = new FakeRuntime(["node-a", "node-b"]);
  await runtime.run(
    { entry: "svc.js", memoryBytes: 1, httpPort: 8080, labels: { [FENCE_LABEL]: "true" } },
    { workload: "orders", instance: "orders-0", node: "node-a", role: "primary", incarnation: 0 },
  );
  ledger = new LogLedger();
  offset = 0;
  asked = 0;
  fault = undefined;
});

/** A request of the samples' workload ("orders", source orders-0 on node-a, target node-b). */
function request(migrationId: string, patch: Record<string, unknown> = {}) {
  const data = { ...sampleData(migrationId)[MigrationRequested.type], ...patch };
  return buildEvent(MigrationRequested, data as never, {
    source: "/shadow/gateway",
  }) as IncomingEvent;
}

/** An event at the log's next place: folded by the ledger, as the service's gate folds it. */
function fold(event: { type: string; data: unknown }) {
  const key = (event.data as { workload: string }).workload;
  return ledger.apply(event, { partition: 0, offset: String(offset++), key });
}

/** A request arriving at the service: the gate folds it, then the handler answers if it acts. */
async function arrive(event: IncomingEvent): Promise<OutgoingEvent[] | "stale"> {
  const judgement = fold(event);
  if (judgement.kind !== "act") return "stale";
  const ask = <T>(read: () => Promise<T>) => {
    asked += 1;
    const error = fault;
    fault = undefined;
    return error ? Promise.reject(error) : read();
  };
  const deps: AdmissionDeps = {
    runtime: {
      inspect: (instance) => ask(() => runtime.inspect(instance)),
      nodes: () => ask(() => runtime.nodes()),
    },
    ledger,
  };
  const out = await onMigrationRequested(
    event as IncomingEvent<typeof MigrationRequested.type>,
    deps,
  );
  // What it emits lands on the log next (no other request in between, here).
  for (const verdict of out) fold(verdict);
  return out;
}

function only(out: OutgoingEvent[] | "stale"): OutgoingEvent {
  if (out === "stale" || out.length !== 1 || !out[0])
    throw new Error(`expected one verdict: ${JSON.stringify(out)}`);
  return out[0];
}

describe("admission", () => {
  it("admits the request the log left pending, carrying what the next step needs", async () => {
    const verdict = only(await arrive(request("m-1")));
    expect(verdict.type).toBe(MigrationAdmitted.type);
    expect(MigrationAdmitted.schema.parse(verdict.data)).toMatchObject({
      migrationId: "m-1",
      source: { instance: "orders-0", node: "node-a" },
      targetNode: "node-b",
    });
  });

  it("refuses every request made while another was under way, naming it, without asking the runtime", async () => {
    only(await arrive(request("m-1")));
    const before = asked;
    const verdict = only(await arrive(request("m-2")));
    expect(verdict.type).toBe(MigrationRejected.type);
    expect(MigrationRejected.schema.parse(verdict.data)).toMatchObject({
      code: "ALREADY_MIGRATING",
      runningMigrationId: "m-1",
      reason: expect.stringContaining("m-1"),
    });
    expect(asked).toBe(before);
  });

  it.each([
    [
      "a source that does not exist",
      { source: { instance: "orders-9", node: "node-a" } },
      "UNKNOWN_INSTANCE",
    ],
    [
      "a source on another node",
      { source: { instance: "orders-0", node: "node-b" } },
      "UNKNOWN_INSTANCE",
    ],
    ["a target node that does not exist", { targetNode: "node-z" }, "UNKNOWN_NODE"],
    ["the node it runs on", { targetNode: "node-a" }, "SAME_NODE"],
  ])("refuses a request produced straight onto Kafka naming %s", async (_what, patch, code) => {
    const verdict = only(await arrive(request("m-1", patch)));
    expect(MigrationRejected.schema.parse(verdict.data).code).toBe(code);
    // Refused, it frees the workload: the next request is admitted.
    expect(only(await arrive(request("m-2"))).type).toBe(MigrationAdmitted.type);
  });

  describe("a name restore (round 2 alone, on the node the workload serves on)", () => {
    /** orders moved without identity swap: it serves on node-b as m-0's shadow. */
    async function servingAsShadow() {
      await runtime.remove("orders-0");
      await runtime.run(
        { entry: "svc.js", memoryBytes: 1, httpPort: 8080, labels: { [FENCE_LABEL]: "true" } },
        {
          workload: "orders",
          instance: "orders-shadow-m0",
          node: "node-b",
          role: "shadow",
          incarnation: 1,
          migrationId: "m-0",
        },
      );
    }
    const restore = {
      source: { instance: "orders-shadow-m0", node: "node-b" },
      targetNode: "node-b",
      identitySwap: true,
      nameRestore: true,
    };

    it("is admitted with the node it serves on as its target, and carries nameRestore on", async () => {
      await servingAsShadow();
      const verdict = only(await arrive(request("m-1", restore)));
      expect(verdict.type).toBe(MigrationAdmitted.type);
      expect(MigrationAdmitted.schema.parse(verdict.data)).toMatchObject({
        nameRestore: true,
        identitySwap: true,
        targetNode: "node-b",
      });
    });

    it.each([
      ["another node as its target", { targetNode: "node-a" }, "serves on (node-b)"],
      ["no identity swap", { identitySwap: false }, "identitySwap true"],
      ["strategy sequential", { strategy: "sequential" }, "strategy shadow"],
    ])("is refused with %s", async (_what, patch, reason) => {
      await servingAsShadow();
      const verdict = only(await arrive(request("m-1", { ...restore, ...patch })));
      const refused = MigrationRejected.schema.parse(verdict.data);
      expect(refused.code).toBe("NAME_RESTORE_REFUSED");
      expect(refused.reason).toContain(reason);
    });

    it("is refused for a workload that serves under its own name already", async () => {
      await runtime.run(
        { entry: "svc.js", memoryBytes: 1, httpPort: 8080, labels: { [FENCE_LABEL]: "true" } },
        { workload: "st", instance: "st", node: "node-a", role: "primary", incarnation: 0 },
      );
      const own = only(
        await arrive(
          request("m-1", {
            ...restore,
            workload: "st",
            source: { instance: "st", node: "node-a" },
            targetNode: "node-a",
          }),
        ),
      );
      expect(MigrationRejected.schema.parse(own.data)).toMatchObject({
        code: "NAME_RESTORE_REFUSED",
        reason: "workload st already serves under its own name",
      });
    });

    it("is refused while another instance holds the workload's name", async () => {
      await servingAsShadow();
      await runtime.run(
        { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
        { workload: "orders", instance: "orders", node: "node-a", role: "primary", incarnation: 0 },
      );
      const verdict = only(await arrive(request("m-1", restore)));
      expect(MigrationRejected.schema.parse(verdict.data)).toMatchObject({
        code: "NAME_RESTORE_REFUSED",
        reason: expect.stringContaining(
          "instance orders on node-a (running) already holds the name",
        ),
      });
    });
  });

  it("refuses shadow for a workload that cannot fence, naming sequential; admits sequential", async () => {
    await runtime.run(
      { entry: "plain.js", memoryBytes: 1, httpPort: 8080 },
      { workload: "plain", instance: "plain-0", node: "node-a", role: "primary", incarnation: 0 },
    );
    const plain = { workload: "plain", source: { instance: "plain-0", node: "node-a" } };
    const shadow = only(await arrive({ ...request("m-1", plain) }));
    const refused = MigrationRejected.schema.parse(shadow.data);
    expect(refused.code).toBe("CANNOT_FENCE");
    expect(refused.reason).toContain('"sequential"');
    const sequential = only(await arrive(request("m-2", { ...plain, strategy: "sequential" })));
    expect(sequential.type).toBe(MigrationAdmitted.type);
  });

  it("gives a replayed request no second verdict, whatever the runtime says now", async () => {
    only(await arrive(request("m-1")));
    // The dump stopped the source meanwhile: asked again, the runtime would refuse it.
    await runtime.remove("orders-0");
    expect(await arrive(request("m-1"))).toBe("stale");
  });

  it("after a restart, does not answer again a request whose verdict lies further on in the log", async () => {
    // The service answered m-1 and died before committing: its verdict is in the log, beyond
    // the offset the restarted service folds to, and the source has stopped since (a dump).
    ledger.noteVerdictAhead({
      type: MigrationAdmitted.type,
      data: sampleData("m-1")[MigrationAdmitted.type],
    });
    await runtime.remove("orders-0");
    expect(await arrive(request("m-1"))).toEqual([]);
    // A request after it is still decided by the log: m-1 is the one under way.
    const next = only(await arrive(request("m-2")));
    expect(MigrationRejected.schema.parse(next.data).runningMigrationId).toBe("m-1");
  });

  it("refuses with the reason when the runtime cannot be asked, rather than leave the workload held", async () => {
    fault = new Error("runc state: timed out");
    const verdict = only(await arrive(request("m-1")));
    expect(MigrationRejected.schema.parse(verdict.data)).toMatchObject({
      code: "RUNTIME_UNAVAILABLE",
      reason: expect.stringContaining("runc state: timed out"),
    });
  });
});
