/**
 * Checkpoint images: a CRIU dump packed in the CRI-O checkpoint layout as a one-layer OCI
 * image, encrypted at rest, verified by digest on every pull, moved through the local
 * registry or node to node, and removed by retention. The local adapter calls these.
 *
 * @example
 * const built = await buildCheckpointImage(dumpDir, meta, { layoutDir, key });
 * const pushed = await pushImage(built.ref, { registry: "127.0.0.1:5000", repository: "shadow/m-1", tag: "checkpoint" });
 * const reasons = preflightReasons(built.metadata, await localTargetFacts("node-b", nodeBState));
 * const pulled = await pullImage(pushed.ref, { into: restoreDir, key, digest: pushed.digest });
 * // pulled.dumpDir → `runc restore --image-path`
 */
export {
  type BuildOptions,
  type BuiltImage,
  buildCheckpointImage,
  criuAnnotations,
} from "./build.ts";
export { CrioAnnotation, CriuAnnotation, ShadowAnnotation } from "./media-types.ts";
export { inspectImage, type PulledImage, type PullOptions, pullImage } from "./pull.ts";
export { type PushedImage, type PushOptions, type PushTarget, pushImage } from "./push.ts";
export { extractTar, TarFormatError } from "./tar-read.ts";
export { type TransferredImage, transferNodeToNode } from "./transfer.ts";

import type { Artifact, Retention } from "./retention.ts";

export { type ImageStoreConfig, loadImageStoreConfig } from "./config.ts";
export type { Digest } from "./digest.ts";
export {
  criuVersion,
  type HostFacts,
  hostFacts,
  localTargetFacts,
  type TargetFacts,
} from "./host-facts.ts";
export { keyId, parseImageKey } from "./key.ts";
export type { CheckpointMetadata, CheckpointMetadataInput } from "./metadata.ts";
export { compareVersions, preflightReasons } from "./preflight.ts";
export { formatRef, type ImageRef, parseRef, sanitizeName } from "./reference.ts";
export { RegistryClient } from "./registry-client.ts";
export {
  type Artifact,
  type BudgetResult,
  type MigrationUsage,
  Retention,
  type RetentionOptions,
} from "./retention.ts";

/** Everything the migration produced, removed now (the runtime port's `release`). */
export function releaseMigration(retention: Retention, migrationId: string): Promise<Artifact[]> {
  return retention.release(migrationId);
}
