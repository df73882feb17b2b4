import type { Identity } from "@shadow/runtime";

/**
 * The identity the restored copy wakes up with. A ShadowPod copy is a shadow until it passes
 * the fence; the sequential baseline's copy is the primary at once (its source is stopped).
 * The runtime raises the incarnation above the source's, which the image records: reading it
 * here would cost a look at the source on every restore.
 */
export function restoredIdentity(d: {
  migrationId: string;
  workload: string;
  strategy: "shadow" | "sequential";
  handoff: { to: { instance: string; node: string } };
}): Identity {
  return {
    workload: d.workload,
    instance: d.handoff.to.instance,
    node: d.handoff.to.node,
    role: d.strategy === "shadow" ? "shadow" : "primary",
    incarnation: 1,
    migrationId: d.migrationId,
  };
}
