import { type DataOf, FenceRequested } from "@shadow/events";
import type { Identity } from "../identity.ts";

/** The fields every fence event repeats: the FenceRequested's data. */
export type FenceBase = DataOf<typeof FenceRequested>;

/** The fields every fence event repeats (the FenceRequested data), the rest stripped. */
export function fenceBase(data: FenceBase): FenceBase {
  return FenceRequested.schema.parse(data);
}

/** Which side of a fence event this process is on, if any. */
export interface Addressed {
  /** It names this process (instance and node) as the handoff's `from`. */
  source: boolean;
  /** It names this process as the handoff's `to`, of the migration that made it (if any). */
  shadow: boolean;
}

/**
 * Instance names are unique within a workload only, and not over time: after an identity swap
 * the named instance runs on another node, so a side is named by instance and node. A shadow
 * made by a migration hears only that migration.
 */
export function addressOf(data: FenceBase, me: Identity): Addressed {
  if (data.workload !== me.workload) return { source: false, shadow: false };
  const { from, to } = data.handoff;
  return {
    source: from.instance === me.instance && from.node === me.node,
    shadow:
      to.instance === me.instance &&
      to.node === me.node &&
      (me.migrationId === undefined || me.migrationId === data.migrationId),
  };
}

/** It names this instance as the source, but on another node: the name's earlier holder. */
export function namesAnotherHolder(data: FenceBase, me: Identity): boolean {
  const { from } = data.handoff;
  return data.workload === me.workload && from.instance === me.instance && from.node !== me.node;
}
