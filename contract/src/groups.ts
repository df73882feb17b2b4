import type { Identity } from "./identity.ts";

/**
 * The consumer group a workload reads its input topics in:
 * `shadow.workload.<workload>.<instance>.<incarnation>`. The incarnation changes on every
 * start and restore, so a restored copy never joins (and never commits into) its source's
 * group, and it never inherits a group's committed offsets: it seeks to the offsets it holds.
 */
export function inputGroupId(identity: Identity): string {
  return `shadow.workload.${identity.workload}.${identity.instance}.${identity.incarnation}`;
}

/** The group it reads the control topic in: the input group's id plus `.control`. */
export function controlGroupId(identity: Identity): string {
  return `${inputGroupId(identity)}.control`;
}
