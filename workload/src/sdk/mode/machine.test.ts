import { describe, expect, it } from "vitest";
import type { PartitionOffset } from "../../types.ts";
import type { Identity } from "../identity.ts";
import type { EffectKind } from "./effects.ts";
import { MODE_EVENT_TYPES, type ModeEvent, type ModeEventType } from "./events.ts";
import type { FenceBase } from "./fence-base.ts";
import { IllegalTransition, step } from "./machine.ts";
import { initialState, type ModeState, PHASES, type PhaseName, producesOnStop } from "./state.ts";
import { TABLE } from "./table.ts";
import type { Readings } from "./transition.ts";

const T = "orders";
const sourceId: Identity = {
  workload: "orders",
  instance: "orders-0",
  node: "node-a",
  role: "primary",
  incarnation: 1,
};
const shadowId: Identity = {
  workload: "orders",
  instance: "orders-0-s",
  node: "node-b",
  role: "shadow",
  incarnation: 2,
  migrationId: "m-1",
};

function request(fenceId = "f-1", over: Partial<FenceBase> = {}): FenceBase {
  return {
    migrationId: "m-1",
    workload: "orders",
    strategy: "shadow",
    identitySwap: false,
    requestedAt: "2026-01-01T00:00:00.000Z",
    handoff: {
      round: 1,
      from: { instance: "orders-0", node: "node-a" },
      to: { instance: "orders-0-s", node: "node-b" },
    },
    fenceId,
    ...over,
  };
}
/** The same fence, but naming `instance` as its source (to reach a shadow's "not primary"). */
const requestFrom = (instance: string) =>
  request("f-1", {
    handoff: {
      round: 1,
      from: { instance, node: "node-b" },
      to: { instance: "elsewhere", node: "node-c" },
    },
  });
const cutAt = (offset: number): PartitionOffset[] => [{ topic: T, partition: 0, offset }];
const pausedAt = "2026-01-01T00:00:01.000Z";

const ev = {
  identity: (next: Identity, previous: Identity): ModeEvent => ({
    type: "identity-changed",
    next,
    previous,
  }),
  stop: (canFlush = true): ModeEvent => ({ type: "stop", canFlush }),
  requested: (data = request()): ModeEvent => ({ type: "fence-requested", data, trace: {} }),
  cut: (fenceId = "f-1", to = "orders-0-s", node = "node-b"): ModeEvent => ({
    type: "fence-cut",
    data: {
      ...request(fenceId, {
        handoff: {
          round: 1,
          from: { instance: "orders-0", node: "node-a" },
          to: { instance: to, node },
        },
      }),
      instance: "orders-0",
      cut: cutAt(5),
      pausedAt,
    },
    trace: {},
  }),
  passed: (fenceId = "f-1", instance = "orders-0-s"): ModeEvent => ({
    type: "fence-passed",
    data: { ...request(fenceId), instance, cut: cutAt(5), pausedAt, passedAt: pausedAt },
  }),
  aborted: (fenceId = "f-1", data = request(fenceId)): ModeEvent => ({
    type: "fence-aborted",
    data: { ...data, reason: "test" },
  }),
  taken: (attempt = 1): ModeEvent => ({
    type: "cut-taken",
    attempt,
    migrationId: "m-1",
    cut: cutAt(5),
  }),
  published: (fenceId = "f-1"): ModeEvent => ({ type: "cut-published", fenceId }),
  completed: (data = request()): ModeEvent => ({
    type: "fence-completed",
    data: { ...data, cut: cutAt(5), handoverMs: 3 },
  }),
  deadline: (fenceId = "f-1"): ModeEvent => ({ type: "deadline", fenceId, afterMs: 30_000 }),
  /** The same event as read from the log twice: one CloudEvent source and id. */
  keyed: (event: ModeEvent, key = "/shadow/fence-svc e-1"): ModeEvent =>
    ({ ...event, key }) as ModeEvent,
  processed: (): ModeEvent => ({ type: "record-processed" }),
  progress: (): ModeEvent => ({ type: "source-progress", positions: cutAt(3) }),
};

interface World {
  identity: Identity;
  /** When it took that identity (ms since epoch); default long ago. */
  identitySince?: number;
  /** Whether the processed offsets reach every cut asked about. */
  passed?: boolean;
  held?: number;
}

function readings(world: World): Readings {
  return {
    now: Date.parse("2026-01-01T00:00:02.000Z"),
    identity: world.identity,
    identitySince: world.identitySince ?? 0,
    passed: () => world.passed ?? false,
    behind: () => (world.passed ? 0 : 3),
    heldUpTo: () => Math.min(2, world.held ?? 0),
    heldSize: world.held ?? 0,
  };
}

/** Walks the machine from an identity's start through `events`; every step must be legal. */
function walk(world: World, ...events: ModeEvent[]): ModeState {
  let state = initialState(
    world.identity,
    world.identity.role === "shadow" ? "orders-0" : undefined,
  );
  for (const event of events) state = step(state, event, readings(world)).state;
  return state;
}

const asSource: World = { identity: sourceId };
const asShadow: World = { identity: shadowId };

/** One state in each phase, reached by legal steps, and who it is. */
const fixtures: Record<PhaseName, () => { state: ModeState; world: World }> = {
  primary: () => ({ state: walk(asSource), world: asSource }),
  fencing: () => ({ state: walk(asSource, ev.requested()), world: asSource }),
  fenced: () => ({ state: walk(asSource, ev.requested(), ev.taken()), world: asSource }),
  "handed-over": () => ({
    state: walk(asSource, ev.requested(), ev.taken(), ev.passed()),
    world: asSource,
  }),
  shadow: () => ({ state: walk(asShadow), world: asShadow }),
  passing: () => ({ state: walk(asShadow, ev.cut()), world: asShadow }),
  passed: () => ({
    state: walk({ ...asShadow, passed: true }, ev.cut()),
    world: asShadow,
  }),
  idle: () => ({ state: walk(asShadow, ev.cut(), ev.aborted()), world: asShadow }),
  stopped: () => ({ state: walk(asSource, ev.stop()), world: asSource }),
};

/** A primary that was a shadow and passed its cut: it still hears its old fence's events. */
const exShadow = () => ({
  state: walk({ ...asShadow, passed: true }, ev.cut(), ev.passed()),
  world: asShadow,
});
/** A source that resumed after an abort of its fence. */
const resumed = () => ({
  state: walk(asSource, ev.requested(), ev.taken(), ev.aborted()),
  world: asSource,
});

interface Case {
  name: string;
  from: PhaseName;
  /** Default: the phase's fixture. */
  given?: () => { state: ModeState; world: World };
  world?: Partial<World>;
  event: ModeEvent;
  to: PhaseName;
  effects: EffectKind[];
  check?(state: ModeState): void;
}

const live = PHASES.filter((phase) => phase !== "stopped");

const cases: Case[] = [
  // identity changes and stops, from every phase
  ...live.flatMap((from): Case[] => [
    {
      name: "a restore as shadow",
      from,
      event: ev.identity(shadowId, sourceId),
      to: "shadow",
      effects: [],
      check: (s) => {
        expect(s.sourceFence).toBeNull();
        expect(s.handover).toBeNull();
        expect(s.sourceInstance).toBe("orders-0");
      },
    },
    {
      name: "re-assigned as primary",
      from,
      event: ev.identity({ ...sourceId, incarnation: 3 }, sourceId),
      to: "primary",
      effects: [],
    },
  ]),
  ...PHASES.map(
    (from): Case => ({
      name: "stop",
      from,
      event: ev.stop(),
      to: "stopped",
      effects:
        from !== "stopped" && producesOnStop(fixtures[from]().state.phase)
          ? ["flush-and-commit"]
          : [],
    }),
  ),
  {
    name: "stop with nothing to flush with",
    from: "primary",
    event: ev.stop(false),
    to: "stopped",
    effects: [],
  },
  {
    name: "identity change after the stop",
    from: "stopped",
    event: ev.identity(shadowId, sourceId),
    to: "stopped",
    effects: [],
  },

  // FenceRequested
  {
    name: "naming it as source",
    from: "primary",
    event: ev.requested(),
    to: "fencing",
    effects: ["update-flow", "settle"],
    check: (s) => {
      expect(s.sourceFence).toMatchObject({ fenceId: "f-1", passedSeen: false, aborted: false });
      expect(s.sourceFence?.pausedAt).toBe("2026-01-01T00:00:02.000Z");
    },
  },
  {
    name: "naming another instance",
    from: "primary",
    event: ev.requested(requestFrom("orders-1")),
    to: "primary",
    effects: [],
  },
  {
    name: "of another workload",
    from: "primary",
    event: ev.requested(request("f-1", { workload: "audit" })),
    to: "primary",
    effects: [],
  },
  {
    name: "again while taking the cut",
    from: "fencing",
    event: ev.requested(),
    to: "fencing",
    effects: ["log"],
  },
  {
    name: "replayed: the same cut again",
    from: "fenced",
    event: ev.requested(),
    to: "fenced",
    effects: ["publish-cut"],
  },
  {
    name: "another fence while its own is unresolved: refused",
    from: "fenced",
    event: ev.requested(request("f-2", { migrationId: "m-2" })),
    to: "fenced",
    effects: ["log"],
    check: (s) => expect(s.sourceFence).toMatchObject({ fenceId: "f-1", passedSeen: false }),
  },
  {
    name: "its fence again after the hand-over: refused",
    from: "handed-over",
    event: ev.requested(),
    to: "handed-over",
    effects: ["log"],
  },
  {
    name: "a new fence after the hand-over: refused",
    from: "handed-over",
    event: ev.requested(request("f-2", { migrationId: "m-2" })),
    to: "handed-over",
    effects: ["log"],
    check: (s) => expect(s.sourceFence?.passedSeen).toBe(true),
  },
  {
    name: "naming it on the node its name had before: refused",
    from: "primary",
    world: { identity: { ...sourceId, node: "node-b" } },
    event: ev.requested(),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "of a migration whose fence completed: refused",
    from: "primary",
    given: () => ({ state: walk(asSource, ev.completed()), world: asSource }),
    event: ev.requested(),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "of a migration it resumed from: refused",
    from: "primary",
    given: resumed,
    event: ev.requested(),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "requested before a migration it took part in: refused",
    from: "primary",
    given: resumed,
    event: ev.requested(
      request("f-0", { migrationId: "m-0", requestedAt: "2025-12-31T23:59:59.000Z" }),
    ),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "of the migration that made this copy, round 1: refused",
    from: "primary",
    world: { identity: { ...sourceId, migrationId: "m-1" } },
    event: ev.requested(),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "round 2 of the migration that made this copy (identity swap)",
    from: "primary",
    world: { identity: { ...sourceId, migrationId: "m-1" } },
    event: ev.requested(
      request("f-2", {
        handoff: {
          round: 2,
          from: { instance: "orders-0", node: "node-a" },
          to: { instance: "orders-0-n", node: "node-b" },
        },
      }),
    ),
    to: "fencing",
    effects: ["update-flow", "settle"],
  },
  {
    name: "requested before this incarnation took its identity: refused",
    from: "primary",
    world: { identitySince: Date.parse("2026-01-01T00:01:01.000Z") },
    event: ev.requested(),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "requested within the clock margin of its start",
    from: "primary",
    world: { identitySince: Date.parse("2026-01-01T00:00:59.000Z") },
    event: ev.requested(),
    to: "fencing",
    effects: ["update-flow", "settle"],
  },
  {
    name: "the same event again (replayed byte for byte): nothing",
    from: "fencing",
    given: () => ({ state: walk(asSource, ev.keyed(ev.requested())), world: asSource }),
    event: ev.keyed(ev.requested()),
    to: "fencing",
    effects: [],
  },
  {
    name: "the same event after the abort that resumed it: nothing",
    from: "primary",
    given: () => ({
      state: walk(asSource, ev.keyed(ev.requested()), ev.taken(), ev.aborted()),
      world: asSource,
    }),
    event: ev.keyed(ev.requested()),
    to: "primary",
    effects: [],
  },
  ...(["shadow", "passing", "passed", "idle"] as const).map(
    (from): Case => ({
      name: "naming it as source: not primary",
      from,
      event: ev.requested(requestFrom("orders-0-s")),
      to: from,
      effects: ["log"],
    }),
  ),
  { name: "stopped", from: "stopped", event: ev.requested(), to: "stopped", effects: [] },

  // FenceCut
  {
    name: "its cut, behind it",
    from: "shadow",
    world: { held: 4 },
    event: ev.cut(),
    to: "passing",
    effects: ["drop-held", "log", "update-flow"],
    check: (s) => expect(s.handover).toMatchObject({ fenceId: "f-1", discardedAtCut: 2 }),
  },
  {
    name: "its cut, already beyond it",
    from: "shadow",
    world: { passed: true },
    event: ev.cut(),
    to: "passed",
    effects: ["drop-held", "log", "update-flow", "update-flow", "publish-passed"],
  },
  {
    name: "a cut for another copy",
    from: "shadow",
    event: ev.cut("f-1", "orders-0-t"),
    to: "shadow",
    effects: [],
  },
  { name: "replayed", from: "passing", event: ev.cut(), to: "passing", effects: [] },
  {
    // A source that published its cut and then died: the cut fence-svc gives on its behalf
    // (its committed progress, lower) comes second in the log and changes nothing.
    name: "the same fence's cut given again on a gone source's behalf",
    from: "passing",
    event: ev.keyed(
      { ...ev.cut(), data: { ...(ev.cut() as { data: object }).data, cut: cutAt(3) } } as ModeEvent,
      "/shadow/fence-svc on-behalf",
    ),
    to: "passing",
    effects: [],
    check: (s) =>
      expect(s.phase.name === "passing" ? s.phase.cut.entries : undefined).toEqual(cutAt(5)),
  },
  {
    name: "another fence's cut",
    from: "passing",
    event: ev.cut("f-2"),
    to: "passing",
    effects: ["drop-held", "log", "update-flow"],
  },
  {
    name: "another fence's cut, beyond it",
    from: "passing",
    world: { passed: true },
    event: ev.cut("f-2"),
    to: "passed",
    effects: ["drop-held", "log", "update-flow", "update-flow", "publish-passed"],
  },
  { name: "replayed", from: "passed", event: ev.cut(), to: "passed", effects: [] },
  {
    name: "another fence's cut",
    from: "passed",
    event: ev.cut("f-2"),
    to: "passing",
    effects: ["drop-held", "log", "update-flow"],
  },
  {
    name: "a late cut of another fence: not a shadow",
    from: "primary",
    given: exShadow,
    event: ev.cut("f-2"),
    to: "primary",
    effects: ["log"],
  },
  ...(["fencing", "fenced", "handed-over"] as const).map(
    (from): Case => ({
      name: "addressed to it: not a shadow",
      from,
      event: ev.cut("f-9", "orders-0", "node-a"),
      to: from,
      effects: ["log"],
    }),
  ),
  { name: "aborted already", from: "idle", event: ev.cut(), to: "idle", effects: [] },
  {
    name: "another fence's cut: not a shadow",
    from: "idle",
    event: ev.cut("f-2"),
    to: "idle",
    effects: ["log"],
  },
  { name: "stopped", from: "stopped", event: ev.cut(), to: "stopped", effects: [] },

  // FencePassed
  {
    name: "its shadow passed its cut",
    from: "fenced",
    event: ev.passed(),
    to: "handed-over",
    effects: [],
    check: (s) => expect(s.sourceFence?.passedSeen).toBe(true),
  },
  { name: "another fence's", from: "fenced", event: ev.passed("f-2"), to: "fenced", effects: [] },
  {
    name: "read before the cut is taken",
    from: "fencing",
    event: ev.passed(),
    to: "fencing",
    effects: [],
    check: (s) => expect(s.sourceFence?.passedSeen).toBe(true),
  },
  { name: "again", from: "handed-over", event: ev.passed(), to: "handed-over", effects: [] },
  {
    name: "of a fence it resumed from",
    from: "primary",
    given: resumed,
    event: ev.passed(),
    to: "primary",
    effects: [],
  },
  {
    name: "its own, read back",
    from: "passing",
    world: { held: 3 },
    event: ev.passed(),
    to: "primary",
    effects: ["release-held", "update-flow", "log"],
    check: (s) => expect(s.handover).toMatchObject({ releasedAtSwitch: 3, handoverMs: 1_000 }),
  },
  {
    name: "another instance's",
    from: "passing",
    event: ev.passed("f-1", "orders-0-t"),
    to: "passing",
    effects: [],
  },
  {
    name: "its own, read back",
    from: "passed",
    event: ev.passed(),
    to: "primary",
    effects: ["release-held", "update-flow", "log"],
  },
  { name: "another fence's", from: "passed", event: ev.passed("f-2"), to: "passed", effects: [] },
  { name: "before any cut", from: "shadow", event: ev.passed(), to: "shadow", effects: [] },
  { name: "after its abort", from: "idle", event: ev.passed(), to: "idle", effects: [] },
  { name: "stopped", from: "stopped", event: ev.passed(), to: "stopped", effects: [] },

  // FenceAborted
  {
    name: "of its fence: resume from the cut",
    from: "fenced",
    event: ev.aborted(),
    to: "primary",
    effects: ["update-flow", "log"],
    check: (s) => expect(s.sourceFence?.aborted).toBe(true),
  },
  { name: "another fence's", from: "fenced", event: ev.aborted("f-2"), to: "fenced", effects: [] },
  {
    name: "before the cut is taken: resume",
    from: "fencing",
    event: ev.aborted(),
    to: "primary",
    effects: ["update-flow", "log"],
  },
  {
    name: "another fence's",
    from: "fencing",
    event: ev.aborted("f-2"),
    to: "fencing",
    effects: [],
  },
  {
    name: "after its shadow's pass",
    from: "handed-over",
    event: ev.aborted(),
    to: "handed-over",
    effects: ["log"],
  },
  {
    name: "after its own pass",
    from: "primary",
    given: exShadow,
    event: ev.aborted(),
    to: "primary",
    effects: ["log"],
  },
  {
    name: "again, after resuming",
    from: "primary",
    given: resumed,
    event: ev.aborted(),
    to: "primary",
    effects: [],
  },
  {
    name: "of its migration, before the cut",
    from: "shadow",
    event: ev.aborted(),
    to: "idle",
    effects: ["clear-held", "update-flow", "log"],
  },
  {
    name: "of another migration's copy",
    from: "shadow",
    event: ev.aborted("f-1", request("f-1", { migrationId: "m-2" })),
    to: "shadow",
    effects: [],
  },
  {
    name: "of its fence",
    from: "passing",
    event: ev.aborted(),
    to: "idle",
    effects: ["clear-held", "update-flow", "log"],
  },
  {
    name: "another fence's: noted",
    from: "passing",
    event: ev.aborted("f-2"),
    to: "passing",
    effects: [],
    check: (s) => expect([...s.aborted]).toEqual(["f-2"]),
  },
  {
    name: "first in the log before its pass",
    from: "passed",
    event: ev.aborted(),
    to: "idle",
    effects: ["clear-held", "update-flow", "log"],
  },
  { name: "another fence's", from: "passed", event: ev.aborted("f-2"), to: "passed", effects: [] },
  { name: "again", from: "idle", event: ev.aborted(), to: "idle", effects: [] },
  { name: "stopped", from: "stopped", event: ev.aborted(), to: "stopped", effects: [] },

  // cut-taken: the settle's report
  {
    name: "this attempt's",
    from: "fencing",
    event: ev.taken(),
    to: "fenced",
    effects: ["update-flow", "log", "publish-cut", "arm-deadline"],
    check: (s) => expect(s.sourceFence?.cut).toEqual(cutAt(5)),
  },
  {
    name: "this attempt's, its shadow's pass already read",
    from: "fencing",
    given: () => ({ state: walk(asSource, ev.requested(), ev.passed()), world: asSource }),
    event: ev.taken(),
    to: "handed-over",
    effects: ["update-flow", "log", "publish-cut"],
  },
  {
    name: "an attempt that ended",
    from: "fencing",
    given: () => ({
      state: walk(
        asSource,
        ev.requested(),
        ev.aborted(),
        ev.requested(request("f-2", { migrationId: "m-2" })),
      ),
      world: asSource,
    }),
    event: ev.taken(1),
    to: "fencing",
    effects: ["log"],
  },
  ...(["primary", "fenced", "handed-over", "shadow", "passing", "passed", "idle"] as const).map(
    (from): Case => ({ name: "stale", from, event: ev.taken(), to: from, effects: ["log"] }),
  ),
  { name: "stopped", from: "stopped", event: ev.taken(), to: "stopped", effects: [] },

  // cut-published
  {
    name: "its cut in the log",
    from: "fenced",
    event: ev.published(),
    to: "fenced",
    effects: [],
    check: (s) => expect(s.sourceFence?.cutAt).toBe("2026-01-01T00:00:02.000Z"),
  },
  {
    name: "its cut in the log",
    from: "handed-over",
    event: ev.published(),
    to: "handed-over",
    effects: [],
    check: (s) => expect(s.sourceFence?.cutAt).toBeDefined(),
  },
  ...(["primary", "fencing", "shadow", "passing", "passed", "idle", "stopped"] as const).map(
    (from): Case => ({ name: "stale", from, event: ev.published(), to: from, effects: [] }),
  ),

  // record-processed
  ...(["primary", "fencing", "shadow", "passed", "idle", "stopped"] as const).map(
    (from): Case => ({
      name: "nothing to decide",
      from,
      event: ev.processed(),
      to: from,
      effects: [],
    }),
  ),
  {
    name: "still behind the cut",
    from: "passing",
    event: ev.processed(),
    to: "passing",
    effects: [],
  },
  {
    name: "past the cut everywhere",
    from: "passing",
    world: { passed: true },
    event: ev.processed(),
    to: "passed",
    effects: ["update-flow", "publish-passed"],
    check: (s) => expect(s.handover?.passedAt).toBe("2026-01-01T00:00:02.000Z"),
  },

  // FenceCompleted: noted everywhere, acted on nowhere
  ...live.map(
    (from): Case => ({
      name: "noted",
      from,
      event: ev.completed(),
      to: from,
      effects: [],
      check: (s) => expect(s.memory.ended.get("m-1")?.round).toBe(1),
    }),
  ),
  { name: "stopped", from: "stopped", event: ev.completed(), to: "stopped", effects: [] },
  {
    name: "of another workload: not noted",
    from: "primary",
    event: ev.completed(request("f-1", { workload: "audit" })),
    to: "primary",
    effects: [],
    check: (s) => expect(s.memory.ended.size).toBe(0),
  },

  // deadline: the source's own timer after its cut
  {
    name: "its fence unresolved: abort it through the log",
    from: "fenced",
    event: ev.deadline(),
    to: "fenced",
    effects: ["log", "publish-abort", "arm-deadline"],
  },
  {
    name: "of a fence it no longer holds",
    from: "fenced",
    event: ev.deadline("f-0"),
    to: "fenced",
    effects: [],
  },
  ...PHASES.filter((phase) => phase !== "fenced").map(
    (from): Case => ({ name: "nothing to end", from, event: ev.deadline(), to: from, effects: [] }),
  ),

  // source-progress
  {
    name: "trims what the source produced",
    from: "shadow",
    event: ev.progress(),
    to: "shadow",
    effects: ["drop-held", "update-flow"],
    check: (s) =>
      expect(s.phase.name === "shadow" && s.phase.sourceProgress?.entries).toEqual(cutAt(3)),
  },
  ...(
    ["primary", "fencing", "fenced", "handed-over", "passing", "passed", "idle", "stopped"] as const
  ).map((from): Case => ({ name: "ignored", from, event: ev.progress(), to: from, effects: [] })),
];

function run(c: Case) {
  const { state, world } = (c.given ?? fixtures[c.from])();
  expect(state.phase.name).toBe(c.from);
  return step(state, c.event, readings({ ...world, ...c.world }));
}

describe("the workload's mode machine", () => {
  it.each(cases.map((c) => [`${c.from} --${c.event.type}--> ${c.to}: ${c.name}`, c] as const))(
    "%s",
    (_title, c) => {
      const outcome = run(c);
      expect(outcome.state.phase.name).toBe(c.to);
      expect(outcome.effects.map((effect) => effect.kind)).toEqual(c.effects);
      c.check?.(outcome.state);
    },
  );

  it("has a test for every transition its table declares", () => {
    const covered = new Set(cases.map((c) => `${c.from} ${c.event.type} ${c.to}`));
    const missing: string[] = [];
    for (const from of PHASES) {
      for (const type of MODE_EVENT_TYPES) {
        for (const to of TABLE[from][type]?.to ?? []) {
          if (!covered.has(`${from} ${type} ${to}`)) missing.push(`${from} --${type}--> ${to}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("refuses every pair the table leaves out with IllegalTransition, state unchanged", () => {
    const samples: Record<ModeEventType, ModeEvent> = {
      "identity-changed": ev.identity(shadowId, sourceId),
      stop: ev.stop(),
      "fence-requested": ev.requested(),
      "fence-cut": ev.cut(),
      "fence-passed": ev.passed(),
      "fence-aborted": ev.aborted(),
      "cut-taken": ev.taken(),
      "cut-published": ev.published(),
      "fence-completed": ev.completed(),
      deadline: ev.deadline(),
      "record-processed": ev.processed(),
      "source-progress": ev.progress(),
    };
    const refused: string[] = [];
    for (const from of PHASES) {
      for (const type of MODE_EVENT_TYPES) {
        if (TABLE[from][type]) continue;
        const { state, world } = fixtures[from]();
        const attempt = () => step(state, samples[type], readings(world));
        expect(attempt).toThrow(IllegalTransition);
        try {
          attempt();
        } catch (error) {
          expect(error).toMatchObject({ phase: from, event: type, code: "illegal-transition" });
        }
        refused.push(`${from} ${type}`);
      }
    }
    // A fenced source processes nothing: the fence waited for the record in flight.
    expect(refused).toEqual(["fenced record-processed", "handed-over record-processed"]);
  });

  it("lists every phase and only known events", () => {
    expect(Object.keys(TABLE).sort()).toEqual([...PHASES].sort());
    for (const row of Object.values(TABLE)) {
      for (const type of Object.keys(row)) expect(MODE_EVENT_TYPES).toContain(type);
    }
  });

  it("says what was refused, with the migration id where the event has one", () => {
    const { state, world } = fixtures.fenced();
    expect(() => step(state, ev.processed(), readings(world))).toThrow(
      "record-processed cannot happen in phase fenced",
    );
    expect(new IllegalTransition("fenced", ev.taken()).migrationId).toBe("m-1");
  });
});
