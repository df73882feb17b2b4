import { ShadowError } from "@shadow/events";
import type { ModeEvent, ModeEventType } from "./events.ts";
import type { ModeState, PhaseName } from "./state.ts";
import { TABLE, type Transition } from "./table.ts";
import type { Outcome, Readings } from "./transition.ts";

/** The migration an event belongs to, for errors and logs. */
function migrationOf(event: ModeEvent): string | undefined {
  if ("data" in event) return event.data.migrationId;
  if (event.type === "cut-taken") return event.migrationId;
  return undefined;
}

/**
 * The owner fed an event the phase cannot receive (the table has no entry for the pair): a bug
 * in the owner, never the log's doing. Refused; the state stays as it was.
 */
export class IllegalTransition extends ShadowError {
  readonly retryable = false;
  readonly phase: PhaseName;
  readonly event: ModeEventType;

  constructor(phase: PhaseName, event: ModeEvent) {
    super(`${event.type} cannot happen in phase ${phase}`, {
      code: "illegal-transition",
      migrationId: migrationOf(event),
    });
    this.phase = phase;
    this.event = event.type;
  }
}

/** A transition ended in a phase its table entry does not declare: the table and code disagree. */
export class UndeclaredTransition extends ShadowError {
  readonly retryable = false;
  readonly phase: PhaseName;
  readonly event: ModeEventType;
  readonly reached: PhaseName;

  constructor(phase: PhaseName, event: ModeEvent, reached: PhaseName) {
    super(`${event.type} in phase ${phase} reached ${reached}, which the table does not declare`, {
      code: "undeclared-transition",
      migrationId: migrationOf(event),
    });
    this.phase = phase;
    this.event = event.type;
    this.reached = reached;
  }
}

/** The table's entry for a pair, if the pair is legal. */
export function transitionFor(phase: PhaseName, type: ModeEventType): Transition | undefined {
  return TABLE[phase][type] as Transition | undefined;
}

/**
 * One step of the machine: pure, no I/O. Throws IllegalTransition for a pair the table does not
 * have, UndeclaredTransition when the code strays from the table.
 */
export function step(state: ModeState, event: ModeEvent, readings: Readings): Outcome {
  const from = state.phase.name;
  const transition = transitionFor(from, event.type);
  if (!transition) throw new IllegalTransition(from, event);
  const outcome = (transition.run as Transition<typeof event.type>["run"])(
    state,
    event as never,
    readings,
  );
  const reached = outcome.state.phase.name;
  if (!transition.to.includes(reached)) throw new UndeclaredTransition(from, event, reached);
  return outcome;
}
