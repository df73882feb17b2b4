import type { InstanceInfo } from "../types.ts";
import type { InstanceRecord } from "./records.ts";
import type { RuncState } from "./runc.ts";

/** Where an instance's HTTP port is reached: its own address on the bridge. */
export function endpointOf(record: InstanceRecord): string {
  return `${record.address}:${record.spec.httpPort}`;
}

/** The port's view of an instance: its record plus what runc says about it now. */
export function toInstanceInfo(record: InstanceRecord, state: RuncState | undefined): InstanceInfo {
  const info: InstanceInfo = {
    instance: record.instance,
    workload: record.workload,
    node: record.node,
    endpoint: endpointOf(record),
    state:
      state?.status === "running" ? "running" : state?.status === "paused" ? "paused" : "stopped",
    identity: record.identity,
  };
  if (state && state.pid > 0 && state.status !== "stopped") info.pid = state.pid;
  if (record.spec.labels) info.labels = record.spec.labels;
  return info;
}
