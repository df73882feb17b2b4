import type { PartitionOffset } from "@shadow/contract";

/** Per-partition offsets an instance has processed, as its status endpoint reports them. */
export interface InstanceProgress {
  offsets: PartitionOffset[];
}
