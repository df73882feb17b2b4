/** The fields every migration event copies from the event it reacts to. */
export function baseOf(data: {
  migrationId: string;
  workload: string;
  strategy: "shadow" | "sequential";
  identitySwap: boolean;
  requestedAt: string;
  imageTransfer?: "stream" | "registry" | "node-to-node" | undefined;
  nameRestore?: boolean | undefined;
}) {
  return {
    migrationId: data.migrationId,
    workload: data.workload,
    strategy: data.strategy,
    identitySwap: data.identitySwap,
    requestedAt: data.requestedAt,
    ...(data.imageTransfer ? { imageTransfer: data.imageTransfer } : {}),
    ...(data.nameRestore ? { nameRestore: true } : {}),
  };
}
