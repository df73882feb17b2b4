import { z } from "zod";
import { defineEvent, handoff, limits, migrationBase, offsetList } from "./define.ts";

/** restore-svc started the `to` side of a handoff from the checkpoint image. */
export const ShadowRestored = defineEvent(
  "io.shadow.migration.shadow.restored.v1",
  migrationBase.extend({
    handoff,
    imageRef: z.string().min(1).max(limits.ref),
    restoreMs: z.number().nonnegative(),
    /**
     * Getting the dump into place on the target: claiming the copy delivered there (a rename),
     * or fetching and unpacking the image again when it is gone (a restore after a crash).
     */
    pullMs: z.number().nonnegative().optional(),
    /** CRIU's restore of the process tree alone. */
    criuMs: z.number().nonnegative().optional(),
    /** Checking the target can run the image, before anything is created there. */
    preflightMs: z.number().nonnegative().optional(),
    /** Reserving the target: address, network namespace, identity file, bundle. */
    placeMs: z.number().nonnegative().optional(),
    /**
     * Restored post-copy: the copy runs before its memory is in (CRIU's lazy pages), so it may
     * not serve alone until the runtime reports every page arrived.
     */
    postCopy: z.boolean().optional(),
    /** The checkpoint's pause, carried on from CheckpointImageReady (see ShadowCaughtUp). */
    pauseMs: z.number().nonnegative().optional(),
  }),
);

/**
 * The shadow's lag behind the source (not behind the log end) fell under the threshold:
 * under overload both carry the same backlog, and only the difference delays the handover.
 */
export const ShadowCaughtUp = defineEvent(
  "io.shadow.migration.shadow.caught-up.v1",
  migrationBase.extend({
    handoff,
    lagBehindSource: z.number().int().nonnegative(),
    sourceOffsets: offsetList,
    shadowOffsets: offsetList,
    replayMs: z.number().nonnegative(),
    /** The CPU cap (in CPUs) the source ran under at the end, if the catch-up needed one. */
    sourceCpuLimit: z.number().positive().optional(),
    /**
     * From the copy's restore to the first status poll showing it past where it was first
     * read: when it processed its first record, to within a poll.
     */
    firstRecordMs: z.number().nonnegative().optional(),
    /** Records the shadow processed during the watch, and per second. */
    replayedRecords: z.number().int().nonnegative().optional(),
    replayPerSec: z.number().nonnegative().optional(),
    /** Records the source processed during the watch, per second: the input it kept up with. */
    inputPerSec: z.number().nonnegative().optional(),
    /** A post-copy copy: from its restore until every page had arrived. */
    memoryMs: z.number().nonnegative().optional(),
    /**
     * What fencing costs: the shadow's replay time of its remaining lag at its current rate,
     * against the budget it was held to (the checkpoint pause + 50 ms by default). `forced`:
     * the lag had stopped shrinking and the fence went ahead at that cost, within the cap.
     */
    fenceEstimateMs: z.number().nonnegative().optional(),
    fenceBudgetMs: z.number().nonnegative().optional(),
    forcedFence: z.boolean().optional(),
    /**
     * The source was found gone (killed, its node lost): `sourceOffsets` are its last committed
     * progress, and the fence is a failover whose cut fence-svc takes from them.
     */
    sourceLost: z.boolean().optional(),
  }),
);

/**
 * The source was found gone after its shadow caught up, with the fence under way: killed, or its
 * node lost, before it could answer FenceRequested. `cut` is its last committed progress, read
 * through the shadow once the dead source could no longer move it; fence-svc gives it as the
 * source's cut, and the shadow passes it as it would the source's own. A cut the source did
 * publish before it died is earlier in the control log, and a shadow takes a fence's first cut
 * only: what the log holds first decides, for every copy.
 */
export const SourceLost = defineEvent(
  "io.shadow.migration.source.lost.v1",
  migrationBase.extend({
    handoff,
    cut: offsetList,
    shadowOffsets: offsetList,
    lagBehindSource: z.number().int().nonnegative(),
  }),
);
