import type { PartitionOffset, WorkloadMode } from "@shadow/contract";

/** Per-partition offsets an instance has processed, as its status endpoint reports them. */
export interface InstanceProgress {
  offsets: PartitionOffset[];
  /**
   * A shadow's reading of its source's committed progress (the SDK's `sourceCommitted`): the
   * source commits only what its outputs were acknowledged for. Missing for other workloads.
   */
  sourceCommitted?: PartitionOffset[];
  /** What the instance does now (the status body's `mode`), where it says. */
  mode?: WorkloadMode;
}
