import { z } from "zod";

/**
 * What the kubernetes adapter and a node's agent say to each other over HTTP (the agent's
 * side: the `@shadow/node-agent` package). The agent talks to nothing but its node's container
 * runtime, CRIU and the image registry: the adapter, which watches the API server, tells it
 * which pod sandbox to restore into and which archive to convert. Every request carries the
 * migration id, and every file an agent keeps for a migration is found again by it.
 */

export const identityBody = z.object({
  workload: z.string().min(1),
  instance: z.string().min(1),
  node: z.string().min(1),
  role: z.enum(["primary", "shadow"]),
  incarnation: z.union([z.string().min(1), z.number().int().nonnegative()]),
  migrationId: z.string().optional(),
});

export const podRef = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().min(1),
});
export type PodRef = z.infer<typeof podRef>;

/**
 * What the adapter needs to recreate the source's pod around a restored copy, carried in the
 * image's manifest (annotation SOURCE_ANNOTATION), so a restore needs no look at the source,
 * which may be gone (a sequential migration stops it).
 */
export const sourceInfo = z.object({
  identity: identityBody,
  pod: z.object({ name: z.string(), namespace: z.string() }),
  container: z.string(),
  /** The source container and the pod's volumes, as the API server had them. */
  template: z.object({
    container: z.record(z.string(), z.unknown()),
    volumes: z.array(z.record(z.string(), z.unknown())),
    labels: z.record(z.string(), z.string()),
  }),
});
export type SourceInfo = z.infer<typeof sourceInfo>;

/** POST /v1/archives: take over an archive the kubelet wrote, under the migration's name. */
export const adoptArchiveRequest = z.object({
  migrationId: z.string().min(1),
  /** The archive's path, as the kubelet's checkpoint API answered it. */
  archive: z.string().min(1),
  pod: podRef,
  container: z.string().min(1),
  source: sourceInfo,
});

/** POST /v1/checkpoints: dump a container this agent restored (it is not the kubelet's). */
export const checkpointRequest = z.object({
  migrationId: z.string().min(1),
  pod: podRef,
  leaveRunning: z.boolean(),
  source: sourceInfo,
});

/** What a checkpoint (adopted or taken) left on the node. */
export const checkpointResponse = z.object({
  id: z.string().min(1),
  pauseMs: z.number().nonnegative(),
  frozenAt: z.number(),
  dumpMs: z.number().nonnegative(),
  sizeBytes: z.number().int().nonnegative(),
});
export type CheckpointResponse = z.infer<typeof checkpointResponse>;

/** POST /v1/images: pack a checkpoint as an encrypted OCI image and deliver it. */
export const buildImageRequest = z.object({
  migrationId: z.string().min(1),
  checkpointId: z.string().min(1),
  targetNode: z.string().min(1),
});

export const imageResponse = z.object({
  ref: z.string().min(1),
  digest: z.string().min(1),
  sizeBytes: z.number().int().nonnegative(),
  encrypted: z.boolean(),
  buildMs: z.number().nonnegative(),
  transferMs: z.number().nonnegative(),
  transfer: z.enum(["registry", "node-to-node", "same-node"]),
});
export type ImageResponse = z.infer<typeof imageResponse>;

export const imageRef = z.object({ ref: z.string().min(1), digest: z.string().min(1) });

/** POST /v1/pulls: fetch an image, verified and unpacked, so a restore here finds it ready. */
export const pullRequest = z.object({ migrationId: z.string().min(1), image: imageRef });

export const SOURCE_ANNOTATION = "io.shadow.kubernetes.source";

/** POST /v1/preflight: can this node restore the image? And what was its source? */
export const preflightRequest = z.object({ migrationId: z.string().min(1), image: imageRef });
export const preflightResponse = z.object({
  reasons: z.array(z.string()),
  source: sourceInfo.optional(),
});

/** POST /v1/restores: restore the image's process into the pod's sandbox. */
export const restoreRequest = z.object({
  migrationId: z.string().min(1),
  image: imageRef,
  pod: podRef,
  /** The pod's container whose mounts (the pod's volumes, hosts, resolv.conf) the copy takes. */
  container: z.string().min(1),
  identity: identityBody,
});

export const restoreResponse = z.object({
  pid: z.number().int().positive(),
  restoreMs: z.number().nonnegative(),
  breakdown: z.object({
    preflightMs: z.number().nonnegative(),
    pullMs: z.number().nonnegative(),
    placeMs: z.number().nonnegative(),
    criuMs: z.number().nonnegative(),
  }),
});
export type RestoreResponse = z.infer<typeof restoreResponse>;

/** PUT /v1/identities: rewrite a restored copy's identity file. */
export const identityRequest = z.object({ pod: podRef, identity: identityBody });

/**
 * PUT /v1/cpu: a restored process's CPU: its weight against the node's other processes
 * (cgroup shares) and a cap (CFS quota per 100 ms period, -1: none). With `container`, the
 * kubelet's container of that name in the pod instead (a source slowed while its shadow
 * catches up): only its cap, on its own cgroup below the pod's.
 */
export const cpuRequest = z.object({
  pod: podRef,
  container: z.string().min(1).optional(),
  shares: z.number().int().min(2).optional(),
  quotaUs: z.number().int().min(-1).optional(),
});

/** POST /v1/thaw: a kubelet's container a failed checkpoint left frozen, thawed. */
export const thawRequest = z.object({ pod: podRef, container: z.string().min(1) });

/** DELETE /v1/migrations/:id: every dump, image and stopped copy of the migration, gone. */
export const releaseResponse = z.object({ removed: z.array(z.string()) });

/** GET /v1/state: what the agent holds (tests read it to see nothing is left behind). */
export const stateResponse = z.object({
  node: z.string(),
  containers: z.array(
    z.object({ id: z.string(), pod: podRef, migrationId: z.string(), pid: z.number() }),
  ),
  files: z.array(z.string()),
});
export type AgentState = z.infer<typeof stateResponse>;

/** An agent's refusal: `code` names what a retry should do (see runtime errors). */
export const agentError = z.object({
  error: z.string(),
  code: z.string(),
  retryable: z.boolean(),
  reasons: z.array(z.string()).optional(),
});

export const AGENT_PORT = 10290;
