import { deadLetterHeaders } from "@shadow/workload";
import { inputMessage, type OutputMessage, outputMessage, parseRecord } from "../messages.ts";
import { type Percentiles, percentiles, quantile } from "./percentiles.ts";
import type { MigrationWindow, RunRecords, TopicRecord } from "./records.ts";

export interface VerifyOptions {
  /** Only this run's messages (default: every run found). */
  run?: string;
  window?: MigrationWindow;
  /**
   * The checkpoints' freeze windows (ms since epoch). A frozen instance is paused, not down:
   * the design reports the pause on its own, so downtime leaves these windows out.
   */
  pauses?: Pause[];
  /** False when the dead-letter topic was not read: invalid inputs are then not expected there. */
  checkDeadLetters?: boolean;
  /**
   * Copies known to consume from a moment on before their first visible output: a shadow
   * processes from its restore but publishes nothing up to the source's cut, and its caught-up
   * report says it was consuming by then. `copy` as `copyOf` names it (`instance@node`).
   */
  consuming?: ConsumingSince[];
}

export interface ConsumingSince {
  copy: string;
  since: number;
}

export interface KeyedCount {
  count: number;
  /** Per key, the per-key sequence numbers concerned (at most 20 each). */
  byKey: Record<string, number[]>;
}

export interface Stretch {
  /** The stretch's length, less any part of it inside a checkpoint's freeze. */
  ms: number;
  from: number;
  to: number;
  /** The part of `from`..`to` inside a checkpoint's freeze (left out of `ms`). */
  pausedMs?: number;
}

export interface Pause {
  from: number;
  to: number;
}

/**
 * One copy of the workload (an instance on a node) from the first input it processed, or from
 * when it was known to consume (a shadow caught up), to the last input it processed: while it
 * lasts, that copy is up and consuming its partitions.
 */
export interface ConsumingSpan {
  copy: string;
  from: number;
  to: number;
  processed: number;
}

/**
 * The design's message-level downtime: the longest stretch in which some input was waiting while
 * no copy of the workload was consuming (outside every copy's span), the checkpoints' freezes
 * left out; from the migration on. A copy that is up but slow is not down: its slowness is the
 * max extra delay, and the processing gap below.
 */
export interface Downtime {
  longest: Stretch;
  spans: ConsumingSpan[];
}

/**
 * The longest of a run's stretches from the migration on (the whole run without a window),
 * and how long such stretches last in the steady state before it.
 */
export interface Stretches {
  longest: Stretch;
  /** The steady state's p99 stretch: what a stretch usually lasts. */
  steadyMs: number;
  beyondSteadyMs: number;
  /**
   * The steady state's own longest stretch. The migration's longest is the maximum of as many
   * stretches as the steady state had (a bench's warm-up is about as long as a migration), so
   * it exceeds their p99 by chance alone more often than not; beyond this it does not.
   */
  steadyLongestMs: number;
  beyondSteadyLongestMs: number;
}

export interface VerifyReport {
  ok: boolean;
  runs: string[];
  inputs: { valid: number; invalid: number };
  outputs: { records: number; distinct: number; unparseable: number; unexpected: number };
  lost: KeyedCount;
  duplicated: KeyedCount;
  reordered: KeyedCount;
  deadLetters: {
    checked: boolean;
    count: number;
    expected: number;
    missing: number;
    duplicated: number;
    ofValidInputs: number;
  };
  latency: { all: Percentiles; before?: Percentiles; during?: Percentiles; after?: Percentiles };
  /** The steady-state p99 latency: before the window, or over the whole run without one. */
  steadyP99Ms: number;
  /** Largest latency during the window (whole run without one) beyond the steady p99. */
  maxExtraDelayMs: number;
  /** The input behind the max extra delay: when it was sent and answered (ms since epoch). */
  maxDelayed?: { sentAt: number; answeredAt: number };
  /**
   * Downtime at message level, as the design defines it: input waiting while no copy of the
   * workload was consuming. A shadow that processes ahead and holds its outputs is consuming.
   */
  downtime: Downtime;
  /**
   * The longest stretch in which some input was waiting and no input at all was processed (by
   * the outputs' `processedAt`), outside the freezes: stricter than downtime, since it also
   * counts a copy that is up but slowed (the machine busy, the 10 ms a record costs, a fetch);
   * `beyondSteadyMs` subtracts what such gaps last in steady state.
   */
  processingGap: Stretches;
  /**
   * The longest stretch in which some input was waiting and no output appeared, freezes
   * included: what a consumer of the outputs saw stall (the pause, then the handover).
   */
  stall: Stretches;
  /** Which instances produced outputs, and how many each. */
  byInstance: Record<string, number>;
}

interface Input {
  seq: number;
  key: string;
  keySeq: number;
  sentAt: number;
}

interface Seen {
  output: OutputMessage;
  /** When it became visible (output record timestamp). */
  at: number;
}

/** An answered input: when it was sent, and when something happened to it (processed, seen). */
interface Answered {
  sentAt: number;
  at: number;
}

/** An answered input and the copy that processed it. */
interface Processed extends Answered {
  copy: string;
}

/**
 * Answers in time order, and for each the earliest send time among it and those after it: the
 * earliest input still waiting just before that answer.
 */
interface Timeline {
  answered: Processed[];
  earliestWaiting: number[];
}

function timelineOf(answered: Processed[]): Timeline {
  answered.sort((a, b) => a.at - b.at);
  const earliestWaiting = new Array<number>(answered.length);
  let minimum = Number.POSITIVE_INFINITY;
  for (let i = answered.length - 1; i >= 0; i--) {
    minimum = Math.min(minimum, answered[i]?.sentAt ?? minimum);
    earliestWaiting[i] = minimum;
  }
  return { answered, earliestWaiting };
}

/**
 * Checks a run end to end: every valid input has exactly one output, per key in send order;
 * every invalid input has exactly one dead letter; and measures latency and the waiting
 * stretches that make up downtime.
 */
export function verify(records: RunRecords, options: VerifyOptions = {}): VerifyReport {
  const runs = new Set<string>();
  const inputs = new Map<number, Input>();
  const invalid = new Set<string>();
  for (const record of records.inputs) {
    const parsed = parseRecord(inputMessage, record.value);
    if (!parsed.ok) {
      invalid.add(position(record.topic, record.partition, record.offset));
      continue;
    }
    runs.add(parsed.value.run);
    if (options.run !== undefined && parsed.value.run !== options.run) continue;
    inputs.set(parsed.value.seq, parsed.value);
  }

  const first = new Map<number, Seen>();
  const duplicated = keyed();
  const reordered = keyed();
  const highestKeySeq = new Map<string, number>();
  const byInstance: Record<string, number> = {};
  let unparseable = 0;
  let unexpected = 0;
  let matching = 0;
  // Log order per output partition; one key's outputs all live in one partition.
  for (const record of [...records.outputs].sort(byPartitionOffset)) {
    const parsed = parseRecord(outputMessage, record.value);
    if (!parsed.ok) {
      unparseable += 1;
      continue;
    }
    const output = parsed.value;
    if (options.run !== undefined && output.run !== options.run) continue;
    matching += 1;
    byInstance[output.instance] = (byInstance[output.instance] ?? 0) + 1;
    if (!inputs.has(output.seq)) {
      unexpected += 1;
      continue;
    }
    if (first.has(output.seq)) {
      add(duplicated, output.key, output.keySeq);
      continue;
    }
    first.set(output.seq, { output, at: record.timestamp });
    const highest = highestKeySeq.get(output.key) ?? -1;
    if (output.keySeq < highest) add(reordered, output.key, output.keySeq);
    else highestKeySeq.set(output.key, output.keySeq);
  }

  const lost = keyed();
  for (const input of inputs.values())
    if (!first.has(input.seq)) add(lost, input.key, input.keySeq);

  const deadLetters = checkDeadLetters(
    records.deadLetters,
    invalid,
    options.checkDeadLetters ?? true,
  );
  const latency = latencies(inputs, first, options.window);
  const steadyP99Ms = (options.window ? latency.before : latency.all)?.p99 ?? latency.all.p99;
  const peak = (options.window ? latency.during : latency.all)?.max ?? 0;
  const answered = (when: (seen: Seen) => number): Timeline => {
    const list: Processed[] = [];
    for (const [seq, seen] of first) {
      const input = inputs.get(seq);
      if (input) list.push({ sentAt: input.sentAt, at: when(seen), copy: copyOf(seen.output) });
    }
    return timelineOf(list);
  };
  // One timeline, by when each input was processed, for both measures that read it.
  const processed = answered((seen) => seen.output.processedAt);
  const downtime = unconsumedStretch(
    processed,
    options.consuming ?? [],
    options.window,
    options.pauses ?? [],
  );
  const processingGap = waitingStretches(processed, options.window, options.pauses ?? []);
  const stall = waitingStretches(
    answered((seen) => seen.at),
    options.window,
    [],
  );
  const slowest = slowestInput(inputs, first, options.window);

  return {
    ok:
      lost.count === 0 &&
      duplicated.count === 0 &&
      reordered.count === 0 &&
      unexpected === 0 &&
      deadLetters.missing === 0 &&
      deadLetters.duplicated === 0 &&
      deadLetters.ofValidInputs === 0,
    runs: [...runs].sort(),
    inputs: { valid: inputs.size, invalid: invalid.size },
    outputs: { records: matching, distinct: first.size, unparseable, unexpected },
    lost,
    duplicated,
    reordered,
    deadLetters,
    latency,
    steadyP99Ms,
    maxExtraDelayMs: Math.max(0, peak - steadyP99Ms),
    ...(slowest ? { maxDelayed: slowest } : {}),
    downtime,
    processingGap,
    stall,
    byInstance,
  };
}

function checkDeadLetters(deadLetters: TopicRecord[], invalid: Set<string>, checked: boolean) {
  const seen = new Map<string, number>();
  for (const record of deadLetters) {
    const headers = record.headers;
    const at = position(
      headers[deadLetterHeaders.sourceTopic] ?? "",
      Number(headers[deadLetterHeaders.sourcePartition]),
      Number(headers[deadLetterHeaders.sourceOffset]),
    );
    seen.set(at, (seen.get(at) ?? 0) + 1);
  }
  let missing = 0;
  if (checked) for (const at of invalid) if (!seen.has(at)) missing += 1;
  let duplicatedCount = 0;
  let ofValidInputs = 0;
  for (const [at, count] of seen) {
    if (count > 1) duplicatedCount += count - 1;
    if (!invalid.has(at)) ofValidInputs += count;
  }
  return {
    checked,
    count: deadLetters.length,
    expected: invalid.size,
    missing,
    duplicated: duplicatedCount,
    ofValidInputs,
  };
}

/** The input that waited longest (in the window, if any): when it was sent and answered. */
function slowestInput(
  inputs: Map<number, Input>,
  first: Map<number, Seen>,
  window?: MigrationWindow,
): { sentAt: number; answeredAt: number } | undefined {
  let slowest: { sentAt: number; answeredAt: number } | undefined;
  for (const [seq, seen] of first) {
    const input = inputs.get(seq);
    if (!input) continue;
    if (window && (input.sentAt < window.start || input.sentAt > window.end)) continue;
    if (!slowest || seen.at - input.sentAt > slowest.answeredAt - slowest.sentAt) {
      slowest = { sentAt: input.sentAt, answeredAt: seen.at };
    }
  }
  return slowest;
}

function latencies(inputs: Map<number, Input>, first: Map<number, Seen>, window?: MigrationWindow) {
  const all: number[] = [];
  const before: number[] = [];
  const during: number[] = [];
  const after: number[] = [];
  for (const [seq, seen] of first) {
    const input = inputs.get(seq);
    if (!input) continue;
    const latency = seen.at - input.sentAt;
    all.push(latency);
    if (!window) continue;
    if (input.sentAt < window.start) before.push(latency);
    else if (input.sentAt <= window.end) during.push(latency);
    else after.push(latency);
  }
  if (!window) return { all: percentiles(all) };
  return {
    all: percentiles(all),
    before: percentiles(before),
    during: percentiles(during),
    after: percentiles(after),
  };
}

/** Which copy processed an output: the instance, and the node it ran on when it says so. */
export function copyOf(place: { instance: string; node?: string | undefined }): string {
  return place.node === undefined ? place.instance : `${place.instance}@${place.node}`;
}

/**
 * Each copy's span (its first processing to its last); between the spans, where no copy was
 * consuming, the part of each gap in which some input (processed after it) was already waiting,
 * less the freezes. Every processing lies inside its copy's span, so nothing is processed in a
 * gap and an input waiting at any point of it waits to its end.
 */
function unconsumedStretch(
  { answered: processed, earliestWaiting }: Timeline,
  consuming: ConsumingSince[],
  window: MigrationWindow | undefined,
  pauses: Pause[],
): Downtime {
  const byCopy = new Map<string, ConsumingSpan>();
  for (const p of processed) {
    const span = byCopy.get(p.copy);
    if (!span) byCopy.set(p.copy, { copy: p.copy, from: p.at, to: p.at, processed: 1 });
    else {
      span.from = Math.min(span.from, p.at);
      span.to = Math.max(span.to, p.at);
      span.processed += 1;
    }
  }
  // Only a copy that went on to process something: a report alone does not make a span.
  for (const { copy, since } of consuming) {
    const span = byCopy.get(copy);
    if (span) span.from = Math.min(span.from, since);
  }
  const spans = [...byCopy.values()].sort((a, b) => a.from - b.from);
  const none: Stretch = { ms: 0, from: 0, to: 0 };
  if (spans.length === 0) return { longest: none, spans };

  // The first processing at or after `t`: the inputs from there on were not processed before it.
  const firstFrom = (t: number): number => {
    let low = 0;
    let high = processed.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((processed[mid]?.at ?? 0) < t) low = mid + 1;
      else high = mid;
    }
    return low;
  };

  let longest = none;
  let coveredTo = spans[0]?.to ?? 0;
  for (const span of spans.slice(1)) {
    if (span.from > coveredTo) {
      const waitingSince = earliestWaiting[firstFrom(span.from)] ?? span.from;
      const from = Math.max(coveredTo, waitingSince);
      if (from < span.from && (!window || span.from >= window.start)) {
        const pausedMs = overlap(from, span.from, pauses);
        const ms = span.from - from - pausedMs;
        if (ms > longest.ms)
          longest = { ms, from, to: span.from, ...(pausedMs > 0 ? { pausedMs } : {}) };
      }
    }
    coveredTo = Math.max(coveredTo, span.to);
  }
  return { longest, spans };
}

/**
 * For every interval between two consecutive answers (processings or appearances), the part
 * of it during which some input (answered later) was already waiting, less its overlap with
 * the pauses. The longest is the processing gap (or, by output appearance, the stall).
 */
function waitingStretches(
  { answered, earliestWaiting }: Timeline,
  window: MigrationWindow | undefined,
  pauses: Pause[],
): Stretches {
  const none = {
    longest: { ms: 0, from: 0, to: 0 },
    steadyMs: 0,
    beyondSteadyMs: 0,
    steadyLongestMs: 0,
    beyondSteadyLongestMs: 0,
  };
  if (answered.length === 0) return none;
  const stretches: Stretch[] = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < answered.length; i++) {
    const at = answered[i]?.at ?? 0;
    if (at === previous) continue;
    const waitingSince = earliestWaiting[i] ?? at;
    const from = Math.max(previous, waitingSince);
    if (from < at) {
      const pausedMs = overlap(from, at, pauses);
      stretches.push({
        ms: at - from - pausedMs,
        from,
        to: at,
        ...(pausedMs > 0 ? { pausedMs } : {}),
      });
    }
    previous = at;
  }
  if (stretches.length === 0) return none;
  // A stretch over before the migration began is the steady state measuring itself, not a
  // downtime: the longest is sought from the window's start on.
  const steadyPool = window ? stretches.filter((s) => s.to < window.start) : stretches;
  const migrationPool = window ? stretches.filter((s) => s.to >= window.start) : stretches;
  const longest = migrationPool.reduce((a, b) => (b.ms > a.ms ? b : a), none.longest);
  const steadySorted = (steadyPool.length > 0 ? steadyPool : stretches)
    .map((s) => s.ms)
    .sort((a, b) => a - b);
  const steadyMs = quantile(steadySorted, 0.99);
  const steadyLongestMs = steadySorted[steadySorted.length - 1] ?? 0;
  return {
    longest,
    steadyMs,
    beyondSteadyMs: Math.max(0, longest.ms - steadyMs),
    steadyLongestMs,
    beyondSteadyLongestMs: Math.max(0, longest.ms - steadyLongestMs),
  };
}

/** How much of from..to the pauses cover (pauses of different rounds never overlap). */
function overlap(from: number, to: number, pauses: Pause[]): number {
  let covered = 0;
  for (const pause of pauses)
    covered += Math.max(0, Math.min(to, pause.to) - Math.max(from, pause.from));
  return covered;
}

function keyed(): KeyedCount {
  return { count: 0, byKey: {} };
}

function add(target: KeyedCount, key: string, keySeq: number): void {
  target.count += 1;
  const list = target.byKey[key] ?? [];
  if (list.length < 20) list.push(keySeq);
  target.byKey[key] = list;
}

function position(topic: string, partition: number, offset: number): string {
  return `${topic}#${partition}@${offset}`;
}

function byPartitionOffset(a: TopicRecord, b: TopicRecord): number {
  if (a.topic !== b.topic) return a.topic.localeCompare(b.topic);
  return a.partition === b.partition ? a.offset - b.offset : a.partition - b.partition;
}
