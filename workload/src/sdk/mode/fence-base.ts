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
  /** It names this process as the handoff's `from`. */
  source: boolean;
  /** It names this process as the handoff's `to`, of the migration that made it (if any). */
  shadow: boolean;
}

/** Instance names are unique within a workload only; a shadow made by a migration hears only it. */
export function addressOf(data: FenceBase, me: Identity): Addressed {
  if (data.workload !== me.workload) return { source: false, shadow: false };
  return {
    source: data.handoff.from.instance === me.instance,
    shadow:
      data.handoff.to.instance === me.instance &&
      (me.migrationId === undefined || me.migrationId === data.migrationId),
  };
}
