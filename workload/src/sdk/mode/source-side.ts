import { type DataOf, FenceAborted, FenceCut, type FencePassed } from "@shadow/events";
import type { TraceContext } from "../../control/channel.ts";
import type { SourceFenceStatus } from "../../types.ts";
import type { Effect } from "./effects.ts";
import type { ModeEvent } from "./events.ts";
import { addressOf, type FenceBase, fenceBase, namesAnotherHolder } from "./fence-base.ts";
import { refusalOf } from "./fence-guard.ts";
import { ended, tookPart } from "./memory.ts";
import { type ModeState, modeOf, primary } from "./state.ts";
import { iso, log, moved, type Outcome, type Readings, same } from "./transition.ts";

/**
 * The source's side of the fence: pause input, let the record in flight finish, wait until
 * every output is acknowledged, commit, then answer with the cut (the last offset processed on
 * every assigned partition) and stay silent. On an abort it resumes exactly after its cut,
 * unless its shadow's FencePassed came first in the log. It acts only on a fence of the
 * migration under way for it (see fence-guard.ts), and never stays fenced with no migration
 * alive: past its deadline it aborts its own fence through the log.
 */
export function onFenceRequested(
  state: ModeState,
  event: Extract<ModeEvent, { type: "fence-requested" }>,
  readings: Readings,
): Outcome {
  const { data } = event;
  const me = readings.identity;
  if (!addressOf(data, me).source) {
    if (!namesAnotherHolder(data, me)) return same(state);
    return refused(
      state,
      data,
      `it names ${me.instance} on ${data.handoff.from.node}, not ${me.node}`,
    );
  }
  const { phase } = state;
  switch (phase.name) {
    case "primary": {
      const refusal = refusalOf(state.memory, data, readings);
      if (refusal) return refused(state, data, refusal);
      const attempt = state.attempts + 1;
      return moved(
        {
          ...state,
          attempts: attempt,
          memory: tookPart(state.memory, data.requestedAt),
          phase: { name: "fencing", attempt, request: fenceBase(data), trace: event.trace },
          sourceFence: {
            fenceId: data.fenceId,
            migrationId: data.migrationId,
            pausedAt: iso(readings.now),
            cut: [],
            passedSeen: false,
            aborted: false,
          },
        },
        // Later records are refused from here on; the one in flight finishes in `settle`.
        [{ kind: "update-flow" }, { kind: "settle", attempt, migrationId: data.migrationId }],
      );
    }
    case "fencing":
      // The control log is read one event at a time and the fence awaits its cut, so only a
      // second session's reader can get here: the cut being taken answers it.
      return same(state, log("info", { migrationId: data.migrationId }, "already taking the cut"));
    case "fenced":
      if (state.sourceFence?.fenceId !== data.fenceId) {
        return refused(state, data, `fenced for ${state.sourceFence?.fenceId}, still unresolved`);
      }
      return answerAgain(state, data, event.trace, readings);
    case "handed-over":
      return refused(state, data, "handed over: its shadow passed the cut");
    default:
      return same(
        state,
        log(
          "warn",
          { migrationId: data.migrationId, mode: modeOf(phase) },
          "FenceRequested ignored: not primary",
        ),
      );
  }
}

/**
 * The same fence asked again (re-emitted under a new event id): nothing was processed since,
 * so the cut is the same; answer again (fence-svc dedupes).
 */
function answerAgain(
  state: ModeState,
  data: FenceBase,
  trace: TraceContext,
  readings: Readings,
): Outcome {
  const sourceFence = state.sourceFence as SourceFenceStatus;
  const request = fenceBase(data);
  return moved({ ...state, phase: { name: "fenced", request, trace } }, [
    publishCut(request, sourceFence, trace, readings),
  ]);
}

function refused(state: ModeState, data: FenceBase, reason: string): Outcome {
  return same(
    state,
    log(
      "warn",
      { migrationId: data.migrationId, fenceId: data.fenceId, reason },
      "FenceRequested refused",
    ),
  );
}

/** The settle of the current attempt is done: the cut is what was processed; publish it. */
export function onCutTaken(
  state: ModeState,
  event: Extract<ModeEvent, { type: "cut-taken" }>,
  readings: Readings,
): Outcome {
  const { phase } = state;
  if (phase.name !== "fencing" || phase.attempt !== event.attempt) {
    return same(
      state,
      log("warn", { migrationId: event.migrationId }, "fence interrupted: its cut is dropped"),
    );
  }
  const sourceFence = { ...(state.sourceFence as SourceFenceStatus), cut: event.cut };
  const { request, trace } = phase;
  // Its shadow's FencePassed may be in the log already (read by another session's reader).
  const handedOver = sourceFence.passedSeen;
  const effects: Effect[] = [
    { kind: "update-flow" },
    log("info", { migrationId: event.migrationId, cut: event.cut }, "fenced: publishing the cut"),
    publishCut(request, sourceFence, trace, readings),
  ];
  if (!handedOver) effects.push({ kind: "arm-deadline", fenceId: sourceFence.fenceId });
  return moved(
    {
      ...state,
      sourceFence,
      phase: { name: handedOver ? "handed-over" : "fenced", request, trace },
      memory: handedOver
        ? ended(state.memory, request.migrationId, request.handoff.round, false)
        : state.memory,
    },
    effects,
  );
}

/** The FenceCut is in the log: remember when it first got there. */
export function onCutPublished(
  state: ModeState,
  event: Extract<ModeEvent, { type: "cut-published" }>,
  readings: Readings,
): Outcome {
  const { phase, sourceFence } = state;
  if (phase.name !== "fenced" && phase.name !== "handed-over") return same(state);
  if (!sourceFence || sourceFence.fenceId !== event.fenceId || sourceFence.cutAt) {
    return same(state);
  }
  return same({ ...state, sourceFence: { ...sourceFence, cutAt: iso(readings.now) } });
}

/** Its shadow passed the cut: from here on an abort of this fence cannot resume the source. */
export function sourceSawPassed(
  state: ModeState,
  data: DataOf<typeof FencePassed>,
  readings: Readings,
): Outcome {
  const { sourceFence, phase } = state;
  if (!addressOf(data, readings.identity).source) return same(state);
  if (sourceFence?.fenceId !== data.fenceId || sourceFence.passedSeen) return same(state);
  const next = { ...state, sourceFence: { ...sourceFence, passedSeen: true } };
  if (phase.name !== "fenced") return same(next);
  return same({
    ...next,
    phase: { ...phase, name: "handed-over" },
    memory: ended(state.memory, data.migrationId, data.handoff.round, false),
  });
}

/** The fence is lifted: resume from the cut, unless the shadow's FencePassed came first. */
export function sourceSawAborted(
  state: ModeState,
  data: DataOf<typeof FenceAborted>,
  readings: Readings,
): Outcome {
  const { sourceFence, phase } = state;
  if (!addressOf(data, readings.identity).source) return same(state);
  if (!sourceFence || sourceFence.fenceId !== data.fenceId || sourceFence.aborted) {
    return same(state);
  }
  if (sourceFence.passedSeen) {
    // The shadow's FencePassed came first in the log: it is the primary, we stay silent.
    return same(
      state,
      log(
        "warn",
        { migrationId: data.migrationId },
        "FenceAborted after FencePassed: staying fenced",
      ),
    );
  }
  const next = { ...state, sourceFence: { ...sourceFence, aborted: true } };
  if (phase.name !== "fenced" && phase.name !== "fencing") return same(next);
  const effects: Effect[] = [
    { kind: "update-flow" },
    log(
      "info",
      { migrationId: data.migrationId, reason: data.reason },
      phase.name === "fenced"
        ? "fence aborted: resuming from the cut"
        : "fence aborted before its cut: resuming",
    ),
  ];
  return moved({ ...next, phase: primary }, effects);
}

/**
 * Fenced past its deadline with neither FencePassed nor FenceAborted read: no migration is
 * alive to end the fence (a stale FenceRequested, a fence-svc gone). It does not resume on its
 * own: it publishes FenceAborted for its fence and resumes when it reads that back, so the log
 * decides between it and a late FencePassed exactly as between FencePassed and fence-svc's
 * FenceAborted. Armed again, in case the abort never reached the log.
 */
export function onDeadline(
  state: ModeState,
  event: Extract<ModeEvent, { type: "deadline" }>,
): Outcome {
  const { phase, sourceFence } = state;
  if (phase.name !== "fenced" || sourceFence?.fenceId !== event.fenceId) return same(state);
  const reason =
    `fence deadline: neither FencePassed nor FenceAborted within ${event.afterMs} ms of the ` +
    "cut; the source resumes from its cut once this abort is read back before any FencePassed";
  return same(
    state,
    log(
      "warn",
      { migrationId: sourceFence.migrationId, fenceId: event.fenceId, afterMs: event.afterMs },
      "fence deadline passed: aborting the fence through the control log",
    ),
    {
      kind: "publish-abort",
      event: { ...phase.trace, type: FenceAborted.type, data: { ...phase.request, reason } },
    },
    { kind: "arm-deadline", fenceId: event.fenceId },
  );
}

function publishCut(
  request: FenceBase,
  sourceFence: Readonly<SourceFenceStatus>,
  trace: TraceContext,
  readings: Readings,
): Effect {
  return {
    kind: "publish-cut",
    event: {
      ...trace,
      type: FenceCut.type,
      data: {
        ...request,
        instance: readings.identity.instance,
        cut: sourceFence.cut,
        pausedAt: sourceFence.pausedAt,
      },
    },
  };
}
