/**
 * Media types and annotation keys of a shadow checkpoint image.
 *
 * The layout follows what CRI-O and the kubelet produce and consume: the checkpoint archive
 * (`checkpoint/` with CRIU's images, `config.dump`, `spec.dump`, optional `rootfs-diff.tar`
 * and `stats-dump`) is the single layer of an OCI image whose manifest carries
 * `io.kubernetes.cri-o.annotations.checkpoint.name`, which is how CRI-O tells a checkpoint
 * image from an ordinary one (cri-o `pkg/annotations/checkpoint.go`; buildah and
 * checkpointctl set the same keys).
 */

export const MediaType = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  /** Uncompressed: CRIU page images barely compress and the two cores are better spent elsewhere. */
  layer: "application/vnd.oci.image.layer.v1.tar",
  /** The `+encrypted` suffix is the one ocicrypt uses: clients that cannot decrypt must not unpack. */
  encryptedLayer: "application/vnd.oci.image.layer.v1.tar+encrypted",
} as const;

/** CRI-O's checkpoint image annotations (the keys CRI-O reads and writes). */
export const CrioAnnotation = {
  name: "io.kubernetes.cri-o.annotations.checkpoint.name",
  rawImageName: "io.kubernetes.cri-o.annotations.checkpoint.rawImageName",
  rootfsImageName: "io.kubernetes.cri-o.annotations.checkpoint.rootfsImageName",
  rootfsImageId: "io.kubernetes.cri-o.annotations.checkpoint.rootfsImageID",
  criuVersion: "io.kubernetes.cri-o.annotations.checkpoint.criu.version",
} as const;

/**
 * checkpointctl's engine-neutral checkpoint annotations (`org.criu.checkpoint.*`, checkpointctl
 * `lib/annotations.go`), read by tools and runtimes that do not know CRI-O's keys. Set on the
 * manifest and on the index entry that names it.
 */
export const CriuAnnotation = {
  containerName: "org.criu.checkpoint.container.name",
  podName: "org.criu.checkpoint.pod.name",
  podNamespace: "org.criu.checkpoint.pod.namespace",
  rootfsImageName: "org.criu.checkpoint.rootfsImageName",
  rawImageName: "org.criu.checkpoint.rawImageName",
  runtimeName: "org.criu.checkpoint.runtime.name",
  engineName: "org.criu.checkpoint.engine.name",
  criuVersion: "org.criu.checkpoint.criu.version",
  hostArch: "org.criu.checkpoint.host.arch",
  hostKernel: "org.criu.checkpoint.host.kernel",
} as const;

/** Standard OCI annotations we set. */
export const OciAnnotation = {
  created: "org.opencontainers.image.created",
  refName: "org.opencontainers.image.ref.name",
} as const;

/** shadow's own annotations. */
export const ShadowAnnotation = {
  /** JSON of the CheckpointMetadata record (preflight data). */
  metadata: "io.shadow.checkpoint.metadata",
  migrationId: "io.shadow.migration.id",
  /** On an encrypted layer: the encryption scheme, so a reader knows how to open it. */
  encScheme: "io.shadow.image.enc.scheme",
  /** On an encrypted layer: a fingerprint of the key, so a wrong key is named before download. */
  encKeyId: "io.shadow.image.enc.key-id",
} as const;

/** The one encryption scheme there is so far (see cipher.ts for its framing). */
export const ENC_SCHEME = "shadow-aes-256-gcm-stream-v1";

/** Names inside the checkpoint archive (checkpointctl `lib/metadata.go`). */
export const ArchiveName = {
  checkpointDir: "checkpoint",
  configDump: "config.dump",
  specDump: "spec.dump",
  rootfsDiff: "rootfs-diff.tar",
  statsDump: "stats-dump",
} as const;
