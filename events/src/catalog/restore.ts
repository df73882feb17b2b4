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
  }),
);
