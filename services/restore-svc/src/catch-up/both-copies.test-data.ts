import { FakeRuntime } from "@shadow/runtime/fake";

/** The handoff the catch-up and fence watch tests share: orders-0 on node-a to node-b. */
export const handoff = {
  round: 1 as const,
  from: { instance: "orders-0", node: "node-a" },
  to: { instance: "orders-0-shadow", node: "node-b" },
};

/** A fake runtime with the migration m-1's source and shadow running, as `handoff` names them. */
export async function bothCopies(): Promise<FakeRuntime> {
  const runtime = new FakeRuntime(["node-a", "node-b"]);
  for (const [{ instance, node }, role] of [
    [handoff.from, "primary"],
    [handoff.to, "shadow"],
  ] as const) {
    await runtime.run(
      { entry: "svc.js", memoryBytes: 1, httpPort: 8080 },
      { workload: "orders-0", instance, node, role, incarnation: 1, migrationId: "m-1" },
    );
  }
  return runtime;
}
