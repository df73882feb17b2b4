import { type DataOf, type FenceAborted, FencePassed } from "@shadow/events";
import { CutIndex } from "../held-back.ts";
import type { Effect } from "./effects.ts";
import type { ModeEvent } from "./events.ts";
import { addressOf, fenceBase } from "./fence-base.ts";
import { ended, tookPart } from "./memory.ts";
import { type ModeState, modeOf, primary } from "./state.ts";
import { iso, log, moved, type Outcome, type Readings, same } from "./transition.ts";

/**
 * The shadow's side of the fence. Outputs of records at or below the source's cut were the
 * source's to produce and are dropped; those beyond it are held until the shadow's own
 * FencePassed comes back from the control log with no FenceAborted before it. The log's order
 * is the one both sides see, so a rollback racing the pass can never leave two primaries or a
 * gap: whichever event is first in the log wins, for everyone.
 */
export function onFenceCut(
  state: ModeState,
  event: Extract<ModeEvent, { type: "fence-cut" }>,
  readings: Readings,
): Outcome {
  const { data } = event;
  const { phase } = state;
  if (!addressOf(data, readings.identity).shadow) return same(state);
  // A replayed cut, or the cut of a fence already aborted.
  if (state.handover?.fenceId === data.fenceId || state.aborted.has(data.fenceId)) {
    return same(state);
  }
  if (phase.name !== "shadow" && phase.name !== "passing" && phase.name !== "passed") {
    return same(
      state,
      log(
        "warn",
        { migrationId: data.migrationId, mode: modeOf(phase) },
        "FenceCut ignored: not a shadow",
      ),
    );
  }
  const effects: Effect[] = [];
  const source = state.sourceInstance;
  if (source !== undefined && source !== data.instance) {
    effects.push(
      log(
        "warn",
        { migrationId: data.migrationId, cutFrom: data.instance, source },
        "cut from an unexpected source",
      ),
    );
  }
  const discarded = readings.heldUpTo(data.cut);
  effects.push(
    { kind: "drop-held", upTo: data.cut },
    log(
      "info",
      {
        migrationId: data.migrationId,
        cut: data.cut,
        behind: readings.behind(data.cut),
        discarded,
      },
      "cut received",
    ),
    { kind: "update-flow" },
  );
  const received: ModeState = {
    ...state,
    memory: tookPart(state.memory, data.requestedAt),
    phase: {
      name: "passing",
      fence: fenceBase(data),
      cut: new CutIndex(data.cut),
      trace: event.trace,
    },
    handover: {
      fenceId: data.fenceId,
      migrationId: data.migrationId,
      pausedAt: data.pausedAt,
      cutReceivedAt: iso(readings.now),
      discardedAtCut: discarded,
      releasedAtSwitch: 0,
    },
  };
  const passed = passIfThere(received, readings);
  return moved(passed.state, [...effects, ...passed.effects]);
}

/** After every processed record: publish FencePassed once past the cut everywhere. */
export function onRecordProcessed(state: ModeState, readings: Readings): Outcome {
  return passIfThere(state, readings);
}

function passIfThere(state: ModeState, readings: Readings): Outcome {
  const { phase, handover } = state;
  if (phase.name !== "passing" || !handover || handover.passedAt) return same(state);
  if (!readings.passed(phase.cut.entries)) return same(state);
  const passedAt = iso(readings.now);
  return moved(
    { ...state, phase: { ...phase, name: "passed" }, handover: { ...handover, passedAt } },
    [
      {
        kind: "publish-passed",
        event: {
          ...phase.trace,
          type: FencePassed.type,
          data: {
            ...phase.fence,
            instance: readings.identity.instance,
            cut: phase.cut.entries,
            pausedAt: handover.pausedAt,
            passedAt,
          },
        },
      },
    ],
  );
}

/** Our own FencePassed, read back from the log: from here on this copy is the primary. */
export function shadowSawPassed(
  state: ModeState,
  data: DataOf<typeof FencePassed>,
  readings: Readings,
): Outcome {
  const { phase, handover } = state;
  if (!addressOf(data, readings.identity).shadow) return same(state);
  if (!handover || handover.fenceId !== data.fenceId || handover.primaryAt) return same(state);
  if (data.instance !== readings.identity.instance || state.aborted.has(data.fenceId)) {
    return same(state);
  }
  if (phase.name !== "passing" && phase.name !== "passed") return same(state);
  const { now } = readings;
  const handoverMs = now - Date.parse(handover.pausedAt);
  const released = readings.heldSize;
  return moved(
    {
      ...state,
      phase: primary,
      handover: { ...handover, primaryAt: iso(now), handoverMs, releasedAtSwitch: released },
      memory: ended(state.memory, data.migrationId, data.handoff.round, false),
    },
    [
      { kind: "release-held" },
      { kind: "update-flow" },
      log(
        "info",
        { migrationId: data.migrationId, handoverMs, released },
        "passed the cut: now primary",
      ),
    ],
  );
}

/** The fence is lifted before this shadow switched: it drops what it holds and idles. */
export function shadowSawAborted(
  state: ModeState,
  data: DataOf<typeof FenceAborted>,
  readings: Readings,
): Outcome {
  const { phase, handover } = state;
  if (!addressOf(data, readings.identity).shadow) return same(state);
  if (handover?.primaryAt && handover.fenceId === data.fenceId) {
    return same(
      state,
      log(
        "warn",
        { migrationId: data.migrationId },
        "FenceAborted after our FencePassed: staying primary",
      ),
    );
  }
  const aborted = state.aborted.has(data.fenceId)
    ? state.aborted
    : new Set([...state.aborted, data.fenceId]);
  const next = aborted === state.aborted ? state : { ...state, aborted };
  if (handover && handover.fenceId !== data.fenceId) return same(next);
  if (phase.name !== "shadow" && phase.name !== "passing" && phase.name !== "passed") {
    return same(next);
  }
  return moved({ ...next, phase: { name: "idle" } }, [
    { kind: "clear-held" },
    { kind: "update-flow" },
    log(
      "info",
      { migrationId: data.migrationId, dropped: readings.heldSize, reason: data.reason },
      "fence aborted: shadow idles",
    ),
  ]);
}

/**
 * The source's committed progress: it commits an offset only after its outputs were
 * acknowledged, so held outputs at or below it were the source's. Ignored once the cut is
 * known (the cut alone decides from there).
 */
export function onSourceProgress(
  state: ModeState,
  event: Extract<ModeEvent, { type: "source-progress" }>,
): Outcome {
  if (state.phase.name !== "shadow") return same(state);
  return moved(
    { ...state, phase: { name: "shadow", sourceProgress: new CutIndex(event.positions) } },
    [{ kind: "drop-held", upTo: event.positions }],
  );
}
