import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ConnectionGate } from "../src/sdk/connection-gate.ts";
import { HeldBack } from "../src/sdk/held-back.ts";
import type { Identity } from "../src/sdk/identity.ts";
import { IdentityWatcher } from "../src/sdk/identity-watcher.ts";
import { Lock } from "../src/sdk/lock.ts";
import { OutputPipeline } from "../src/sdk/output-pipeline.ts";
import { Processor } from "../src/sdk/processor.ts";
import { Progress } from "../src/sdk/progress.ts";
import type { InputRecord, Mode, PendingOutput, WorkloadCounts } from "../src/types.ts";
import { type BenchInput, balances } from "./balances.ts";

/**
 * SDK overhead per message, in process (no broker): a service as cheap as the example's with
 * zero processing cost is run (a) bare, (b) through the SDK as a primary (identity stat + admission, lock,
 * dedupe, offsets, output pipeline with a producer that acknowledges at once) and (c) as a
 * shadow (outputs held back, trimmed as a source's progress would). The difference is what the
 * SDK adds to every record. Run: `npx tsx workload/bench/sdk-overhead.ts [messages]`.
 */
const MESSAGES = Number(process.argv[2] ?? 200_000);
const PARTITIONS = 4;
const KEYS = 64;

function records(count: number): InputRecord[] {
  const keySeqs = new Array<number>(KEYS).fill(0);
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const list: InputRecord[] = [];
  for (let seq = 0; seq < count; seq++) {
    const k = seq % KEYS;
    const keySeq = keySeqs[k] ?? 0;
    keySeqs[k] = keySeq + 1;
    const message: BenchInput = {
      run: "bench",
      seq,
      key: `k${k}`,
      keySeq,
      sentAt: Date.now(),
      amount: 1,
    };
    const partition = k % PARTITIONS;
    const offset = offsets[partition] ?? 0;
    offsets[partition] = offset + 1;
    list.push({
      topic: "in",
      partition,
      offset,
      key: message.key,
      value: Buffer.from(JSON.stringify(message)),
      headers: {},
      timestamp: message.sentAt,
    });
  }
  return list;
}

const identity: Identity = {
  workload: "bench",
  instance: "bench-0",
  node: "node-a",
  role: "primary",
  incarnation: 1,
};
const service = balances();
const input = records(MESSAGES);

async function bare(): Promise<number> {
  const state = service.initialState();
  const started = performance.now();
  for (const record of input)
    await service.handle(state, record, { identity, mode: "primary", now: 0 });
  return performance.now() - started;
}

async function throughSdk(mode: Mode, dir: string): Promise<number> {
  const path = join(dir, "identity.json");
  writeFileSync(`${path}.tmp`, JSON.stringify(identity));
  renameSync(`${path}.tmp`, path);
  const watcher = new IdentityWatcher({ path, onChange: () => undefined });
  const gate = new ConnectionGate({ verify: () => watcher.check() !== "unreadable" });
  const state = service.initialState();
  const progress = new Progress();
  const held = new HeldBack(Number.MAX_SAFE_INTEGER);
  const pipeline = new OutputPipeline();
  pipeline.setSender(async () => {
    gate.assertCurrent(0, "produce");
  });
  const counts = {} as WorkloadCounts;
  counts.processed = 0;
  let sinceTrim = 0;
  const processor = new Processor({
    service,
    getState: () => state,
    progress,
    lock: new Lock(),
    outputTopic: "out",
    deadLetterTopic: "dlq",
    counts,
    log: pino({ level: "silent" }),
    admit: (epoch) => (gate.isCurrent(epoch) ? "process" : "stale"),
    context: () => ({ identity, mode, now: Date.now(), groupId: "g" }),
    modeNow: () => mode,
    identityNow: () => {
      watcher.check();
      return watcher.current;
    },
    seek: () => undefined,
    route: (outputs: PendingOutput[]) => {
      if (mode === "primary") {
        pipeline.enqueue(outputs);
        return;
      }
      held.hold(outputs);
      // A source's committed progress trims the buffer every 100 ms; here every 1,000 records.
      if (++sinceTrim === 1_000) {
        sinceTrim = 0;
        held.discardUpTo(progress.list());
      }
    },
    afterProcessed: () => undefined,
  });
  const started = performance.now();
  for (const record of input) await processor.handle(0, record);
  await pipeline.flush();
  const elapsed = performance.now() - started;
  if (counts.processed !== MESSAGES)
    throw new Error(`processed ${counts.processed} of ${MESSAGES}`);
  return elapsed;
}

const dir = mkdtempSync(join(tmpdir(), "shadow-bench-"));
try {
  // Warm-up, then the measured rounds; the best of three is the least disturbed by the machine.
  await bare();
  await throughSdk("primary", dir);
  await throughSdk("shadow", dir);
  const best = async (run: () => Promise<number>) =>
    Math.min(await run(), await run(), await run());
  const bareMs = await best(bare);
  const primaryMs = await best(() => throughSdk("primary", dir));
  const shadowMs = await best(() => throughSdk("shadow", dir));
  const perMessage = (ms: number) => (ms * 1000) / MESSAGES;
  const rows = [
    ["service alone", bareMs],
    ["SDK, primary", primaryMs],
    ["SDK, shadow", shadowMs],
  ] as const;
  process.stdout.write(`SDK overhead per message, in process, ${MESSAGES} messages, best of 3\n`);
  for (const [name, ms] of rows) {
    process.stdout.write(
      `  ${name.padEnd(14)} ${perMessage(ms).toFixed(2).padStart(7)} µs/msg  ${((MESSAGES / ms) * 1000).toFixed(0).padStart(8)} msg/s\n`,
    );
  }
  process.stdout.write(
    `  overhead: primary ${(perMessage(primaryMs) - perMessage(bareMs)).toFixed(2)} µs/msg, shadow ${(perMessage(shadowMs) - perMessage(bareMs)).toFixed(2)} µs/msg\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
