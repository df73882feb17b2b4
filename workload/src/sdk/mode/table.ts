import type { FenceEventType, ModeEvent, ModeEventType } from "./events.ts";
import { onIdentityChanged, onStop } from "./lifecycle.ts";
import { ended, remember, seenBefore } from "./memory.ts";
import {
  onFenceCut,
  onRecordProcessed,
  onSourceProgress,
  shadowSawAborted,
  shadowSawPassed,
} from "./shadow-side.ts";
import {
  onCutPublished,
  onCutTaken,
  onDeadline,
  onFenceRequested,
  sourceSawAborted,
  sourceSawPassed,
} from "./source-side.ts";
import type { PhaseName } from "./state.ts";
import { andThen, type Outcome, type Readings, same } from "./transition.ts";

type EventOf<T extends ModeEventType> = Extract<ModeEvent, { type: T }>;
type Run<T extends ModeEventType> = (
  state: Parameters<typeof same>[0],
  event: EventOf<T>,
  readings: Readings,
) => Outcome;

/** One entry of the table: the phases it may end in, what it does, and the code that does it. */
export interface Transition<T extends ModeEventType = ModeEventType> {
  readonly to: readonly PhaseName[];
  readonly does: string;
  readonly run: Run<T>;
}

export type Row = { readonly [T in ModeEventType]?: Transition<T> };

/**
 * A fence event of this workload acts once: the same CloudEvent (source and id) read again, a
 * replay byte for byte or a redelivery after a restart, is a no-op.
 */
function once<T extends FenceEventType>(run: Run<T>): Run<T> {
  return (state, event, readings) => {
    const { data, key } = event as Extract<ModeEvent, { type: FenceEventType }>;
    if (data.workload !== readings.identity.workload) return same(state);
    if (seenBefore(state.memory, key)) return same(state);
    const outcome = run(state, event, readings);
    const memory = remember(outcome.state.memory, key);
    return { state: { ...outcome.state, memory }, effects: outcome.effects };
  };
}

const requested = once<"fence-requested">(onFenceRequested);
const cut = once<"fence-cut">(onFenceCut);
/** FencePassed and FenceAborted concern both sides: a primary that was a shadow hears both. */
const passed = once<"fence-passed">((state, event, readings) =>
  andThen(sourceSawPassed(state, event.data, readings), (next) =>
    shadowSawPassed(next, event.data, readings),
  ),
);
/** An abort ends its migration for good, whoever it was for: no later fence of it counts. */
const aborted = once<"fence-aborted">((state, event, readings) => {
  const { migrationId, handoff } = event.data;
  const noted = { ...state, memory: ended(state.memory, migrationId, handoff.round, true) };
  return andThen(sourceSawAborted(noted, event.data, readings), (next) =>
    shadowSawAborted(next, event.data, readings),
  );
});
const completed = once<"fence-completed">((state, event) => {
  const { migrationId, handoff } = event.data;
  return same({ ...state, memory: ended(state.memory, migrationId, handoff.round, false) });
});
const deadline: Run<"deadline"> = (state, event) => onDeadline(state, event);
const taken: Run<"cut-taken"> = onCutTaken;
const published: Run<"cut-published"> = onCutPublished;
const processed: Run<"record-processed"> = (state, _event, readings) =>
  onRecordProcessed(state, readings);
const progressed: Run<"source-progress"> = (state, event) => onSourceProgress(state, event);
const inert =
  <T extends ModeEventType>(): Run<T> =>
  (state) =>
    same(state);

const reset: Transition<"identity-changed"> = {
  to: ["primary", "shadow"],
  does: "starts over as the new identity's role says; fence records dropped",
  run: onIdentityChanged,
};
const stop: Transition<"stop"> = {
  to: ["stopped"],
  does: "stops; a producing phase flushes and commits first",
  run: onStop,
};

function stays<T extends ModeEventType>(
  phase: PhaseName,
  does: string,
  run: Run<T>,
): Transition<T> {
  return { to: [phase], does, run };
}

/**
 * Every phase and every event it accepts. A pair missing here is illegal: the owner broke its
 * contract (`step` refuses it with IllegalTransition). A pair whose `to` is only its own phase
 * is a no-op, for the reason given: fence events come from a log anyone may write and replay,
 * and an effect's report may arrive after the phase it was asked in has ended.
 */
export const TABLE: { readonly [P in PhaseName]: Row } = {
  primary: {
    "identity-changed": reset,
    stop,
    "fence-requested": {
      to: ["fencing", "primary"],
      does: "of the migration under way for it: pause input, settle, take the cut; else refused",
      run: requested,
    },
    "fence-cut": stays("primary", "not a shadow (a late or replayed cut): ignored", cut),
    "fence-passed": stays(
      "primary",
      "its own pass read again, or an aborted fence's: noted",
      passed,
    ),
    "fence-aborted": stays(
      "primary",
      "after its own pass, or of a fence it resumed from: noted",
      aborted,
    ),
    "fence-completed": stays(
      "primary",
      "noted: no later fence of that migration round counts",
      completed,
    ),
    deadline: stays("primary", "no fence to end", deadline),
    "cut-taken": stays("primary", "an attempt an abort or identity change ended: dropped", taken),
    "cut-published": stays("primary", "a cut of a fence that ended: nothing to note", published),
    "record-processed": stays("primary", "outputs produced", processed),
    "source-progress": stays("primary", "read while it was a shadow: the cut decided", progressed),
  },
  fencing: {
    "identity-changed": reset,
    stop,
    "fence-requested": stays("fencing", "the cut being taken answers it", requested),
    "fence-cut": stays("fencing", "not a shadow: ignored", cut),
    "fence-passed": stays(
      "fencing",
      "its shadow's pass (read by another session's reader): noted, the cut hands over",
      passed,
    ),
    "fence-aborted": {
      to: ["primary", "fencing"],
      does: "of this fence, no pass noted: resume; otherwise noted or ignored",
      run: aborted,
    },
    "fence-completed": stays("fencing", "noted", completed),
    deadline: stays("fencing", "its deadline runs from the cut, not before", deadline),
    "cut-taken": {
      to: ["fenced", "handed-over", "fencing"],
      does: "this attempt's: publish the cut (handed over if its pass is noted); else dropped",
      run: taken,
    },
    "cut-published": stays("fencing", "a cut of a fence that ended: nothing to note", published),
    "record-processed": stays("fencing", "the record in flight at the pause finished", processed),
    "source-progress": stays("fencing", "read while it was a shadow: dropped", progressed),
  },
  fenced: {
    "identity-changed": reset,
    stop,
    "fence-requested": stays(
      "fenced",
      "its fence again: the same cut again; another fence's: refused, its own is unresolved",
      requested,
    ),
    "fence-cut": stays("fenced", "not a shadow: ignored", cut),
    "fence-passed": {
      to: ["handed-over", "fenced"],
      does: "its shadow passed its cut: handed over for good; another fence's: ignored",
      run: passed,
    },
    "fence-aborted": {
      to: ["primary", "fenced"],
      does: "of its fence: resume right after the cut; another fence's: ignored",
      run: aborted,
    },
    "fence-completed": stays("fenced", "noted", completed),
    deadline: stays(
      "fenced",
      "its fence unresolved: publish FenceAborted, resume when it is read back",
      deadline,
    ),
    "cut-taken": stays("fenced", "an attempt that ended: dropped", taken),
    "cut-published": stays("fenced", "the cut is in the log: its time noted once", published),
    "source-progress": stays("fenced", "read while it was a shadow: dropped", progressed),
  },
  "handed-over": {
    "identity-changed": reset,
    stop,
    "fence-requested": stays("handed-over", "handed over: refused, whatever the fence", requested),
    "fence-cut": stays("handed-over", "not a shadow: ignored", cut),
    "fence-passed": stays("handed-over", "already noted", passed),
    "fence-aborted": stays(
      "handed-over",
      "its shadow's pass came first in the log: stays silent",
      aborted,
    ),
    "fence-completed": stays("handed-over", "noted", completed),
    deadline: stays("handed-over", "handed over: a pass came first, nothing to end", deadline),
    "cut-taken": stays("handed-over", "an attempt that ended: dropped", taken),
    "cut-published": stays("handed-over", "the cut is in the log: its time noted once", published),
    "source-progress": stays("handed-over", "read while it was a shadow: dropped", progressed),
  },
  shadow: {
    "identity-changed": reset,
    stop,
    "fence-requested": stays("shadow", "not primary: ignored", requested),
    "fence-cut": {
      to: ["passing", "passed", "shadow"],
      does: "its cut: drop held outputs the cut covers, pass at once if already beyond it",
      run: cut,
    },
    "fence-passed": stays("shadow", "no cut of its own yet: ignored", passed),
    "fence-aborted": {
      to: ["idle", "shadow"],
      does: "of its migration: drop everything held and idle",
      run: aborted,
    },
    "fence-completed": stays("shadow", "noted", completed),
    deadline: stays("shadow", "a source's deadline: not its own", deadline),
    "cut-taken": stays("shadow", "an attempt of the identity before: dropped", taken),
    "cut-published": stays("shadow", "a cut of the identity before: nothing to note", published),
    "record-processed": stays("shadow", "outputs held", processed),
    "source-progress": stays("shadow", "drop held outputs the source produced", progressed),
  },
  passing: {
    "identity-changed": reset,
    stop,
    "fence-requested": stays("passing", "not primary: ignored", requested),
    "fence-cut": {
      to: ["passing", "passed"],
      does: "another fence's cut replaces this one; a replay is ignored",
      run: cut,
    },
    "fence-passed": {
      to: ["primary", "passing"],
      does: "its own pass read back with no abort before it: release held outputs, primary",
      run: passed,
    },
    "fence-aborted": {
      to: ["idle", "passing"],
      does: "of this fence: drop everything held and idle; another's: noted",
      run: aborted,
    },
    "fence-completed": stays("passing", "noted", completed),
    deadline: stays("passing", "a source's deadline: not its own", deadline),
    "cut-taken": stays("passing", "an attempt of the identity before: dropped", taken),
    "cut-published": stays("passing", "a cut of the identity before: nothing to note", published),
    "record-processed": {
      to: ["passed", "passing"],
      does: "past the cut on every partition: publish FencePassed",
      run: processed,
    },
    "source-progress": stays("passing", "the cut alone decides now", progressed),
  },
  passed: {
    "identity-changed": reset,
    stop,
    "fence-requested": stays("passed", "not primary: ignored", requested),
    "fence-cut": {
      to: ["passing", "passed"],
      does: "another fence's cut replaces this one; a replay is ignored",
      run: cut,
    },
    "fence-passed": {
      to: ["primary", "passed"],
      does: "its own pass read back with no abort before it: release held outputs, primary",
      run: passed,
    },
    "fence-aborted": {
      to: ["idle", "passed"],
      does: "first in the log before its pass: drop everything held and idle",
      run: aborted,
    },
    "fence-completed": stays("passed", "noted", completed),
    deadline: stays("passed", "a source's deadline: not its own", deadline),
    "cut-taken": stays("passed", "an attempt of the identity before: dropped", taken),
    "cut-published": stays("passed", "a cut of the identity before: nothing to note", published),
    "record-processed": stays("passed", "outputs beyond the cut held", processed),
    "source-progress": stays("passed", "the cut alone decides now", progressed),
  },
  idle: {
    "identity-changed": reset,
    stop,
    "fence-requested": stays("idle", "not primary: ignored", requested),
    "fence-cut": stays("idle", "aborted: no cut counts any more", cut),
    "fence-passed": stays("idle", "its abort came first in the log: ignored", passed),
    "fence-aborted": stays("idle", "already idle: noted", aborted),
    "fence-completed": stays("idle", "noted", completed),
    deadline: stays("idle", "a source's deadline: not its own", deadline),
    "cut-taken": stays("idle", "an attempt of the identity before: dropped", taken),
    "cut-published": stays("idle", "a cut of the identity before: nothing to note", published),
    "record-processed": stays("idle", "admitted before the abort: its outputs dropped", processed),
    "source-progress": stays("idle", "read before the abort: dropped", progressed),
  },
  stopped: {
    "identity-changed": stays("stopped", "stopped for good", inert()),
    stop: stays("stopped", "already stopped", inert()),
    "fence-requested": stays("stopped", "stopped: ignored", inert()),
    "fence-cut": stays("stopped", "stopped: ignored", inert()),
    "fence-passed": stays("stopped", "stopped: ignored", inert()),
    "fence-aborted": stays("stopped", "stopped: ignored", inert()),
    "fence-completed": stays("stopped", "stopped: ignored", inert()),
    deadline: stays("stopped", "stopped: nothing to end", inert()),
    "cut-taken": stays("stopped", "stopped: dropped", inert()),
    "cut-published": stays("stopped", "stopped: nothing to note", inert()),
    "record-processed": stays("stopped", "in flight at the stop: outputs go as before it", inert()),
    "source-progress": stays("stopped", "stopped: dropped", inert()),
  },
};
