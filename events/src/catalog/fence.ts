import { z } from "zod";
import {
  defineEvent,
  handoff,
  instanceId,
  migrationBase,
  offsetList,
  reasonText,
  shortId,
} from "./define.ts";

/**
 * The ExchangeFence as a cut at offsets. These travel on the control topic between fence-svc
 * and the workload SDK; the workload's input topics are never written to.
 */
const fenceBase = migrationBase.extend({ handoff, fenceId: shortId });

/** fence-svc → source: pause input, finish in-flight work, flush outputs, answer with the cut. */
export const FenceRequested = defineEvent("io.shadow.migration.fence.requested.v1", fenceBase);

/** source → everyone: the last offset it processed on each partition; it now idles. */
export const FenceCut = defineEvent(
  "io.shadow.migration.fence.cut.v1",
  fenceBase.extend({
    instance: instanceId,
    cut: offsetList,
    pausedAt: z.string().datetime(),
  }),
);

/**
 * shadow → everyone: it processed up to the cut on every partition and is now primary. It
 * repeats the cut and the source's pause time so fence-svc can complete the fence from this
 * one event, even after a restart that lost what it had seen of the FenceCut.
 */
export const FencePassed = defineEvent(
  "io.shadow.migration.fence.passed.v1",
  fenceBase.extend({
    instance: instanceId,
    cut: offsetList,
    pausedAt: z.string().datetime(),
    passedAt: z.string().datetime(),
  }),
);

/** fence-svc: the source gave its cut and the shadow passed it. */
export const FenceCompleted = defineEvent(
  "io.shadow.migration.fence.completed.v1",
  fenceBase.extend({
    cut: offsetList,
    /** Source paused → shadow past the cut: the handover's own delay. */
    handoverMs: z.number().nonnegative(),
  }),
);

/** Rollback: the fence is lifted and the source resumes from its cut. */
export const FenceAborted = defineEvent(
  "io.shadow.migration.fence.aborted.v1",
  fenceBase.extend({ reason: reasonText }),
);
