import { z } from "zod";
import { defineEvent, handoff, limits, migrationBase, offsetList, shortId } from "./define.ts";

/**
 * drain-svc, after the first handoff of an identity swap: checkpoint the shadow again so the
 * named instance can be recreated on the target from it (round 2).
 */
export const IdentitySwapRequested = defineEvent(
  "io.shadow.migration.identity-swap.requested.v1",
  migrationBase.extend({ handoff }),
);

/** CRIU dumped the `from` side of a handoff (leave-running for shadow, stopped for sequential). */
export const CheckpointCreated = defineEvent(
  "io.shadow.migration.checkpoint.created.v1",
  migrationBase.extend({
    handoff,
    checkpointId: shortId,
    leftRunning: z.boolean(),
    /** How long the source was frozen. */
    pauseMs: z.number().nonnegative(),
    /**
     * When the freeze began: with `pauseMs`, the window in which the `from` side consumed
     * nothing. Optional: events written before it was reported lack it.
     */
    frozenAt: z.string().datetime().optional(),
    dumpMs: z.number().nonnegative(),
    sizeBytes: z.number().int().nonnegative(),
    /** Input offsets the source had processed when it was dumped, where it reported them. */
    offsetsAtDump: offsetList.optional(),
  }),
);

/** image-svc built the OCI checkpoint image and made it pullable on the target node. */
export const CheckpointImageReady = defineEvent(
  "io.shadow.migration.checkpoint-image.ready.v1",
  migrationBase.extend({
    handoff,
    checkpointId: shortId,
    imageRef: z.string().min(1).max(limits.ref),
    digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
    sizeBytes: z.number().int().nonnegative(),
    buildMs: z.number().nonnegative(),
    /**
     * Delivery to the target node: push and pull through the registry, or the node-to-node
     * copy, until the dump lies verified and unpacked on the target's disk; `same-node` when
     * it was built there (an identity swap's second round), with nothing to move.
     */
    transferMs: z.number().nonnegative(),
    transfer: z.enum(["registry", "node-to-node", "same-node"]),
  }),
);
