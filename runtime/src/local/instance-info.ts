import type { InstanceInfo } from "../types.ts";
import type { InstanceRecord } from "./records.ts";
import type { RuncState } from "./runc.ts";

/** The port's view of an instance: its record plus what runc says about it now. */
export function toInstanceInfo(record: InstanceRecord, state: RuncState | undefined): InstanceInfo {
  const info: InstanceInfo = {
    instance: record.instance,
    workload: record.workload,
    node: record.node,
    endpoint: `${record.address}:${record.spec.httpPort}`,
    state:
      state?.status === "running" ? "running" : state?.status === "paused" ? "paused" : "stopped",
    identity: record.identity,
  };
  if (state && state.pid > 0 && state.status !== "stopped") info.pid = state.pid;
  if (record.spec.labels) info.labels = record.spec.labels;
  return info;
}
