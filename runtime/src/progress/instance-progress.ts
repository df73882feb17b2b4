/** Per-partition offsets an instance has processed, as its status endpoint reports them. */
export interface InstanceProgress {
  offsets: { topic: string; partition: number; offset: number }[];
}
