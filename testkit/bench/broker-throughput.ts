import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Identity } from "@shadow/contract";
import pino from "pino";
import { createExampleService } from "../src/example/service.ts";
import { generateLoad } from "../src/loadgen/generator.ts";
import { benchKafka, benchName, brokersOf, withTopics } from "./support.ts";

/**
 * The SDK over the real broker: a backlog of N records is preloaded, then one example service
 * instance with zero processing cost drains it, as a primary (producing every output) and as
 * a shadow (holding outputs back). Records per second here are the SDK plus kafkajs plus the
 * broker on this machine. Run: `npx tsx testkit/bench/broker-throughput.ts [records]`.
 */
const RECORDS = Number(process.argv[2] ?? 20_000);
const kafka = benchKafka();
const input = benchName("in");
const output = benchName("out");
const dlq = benchName("dlq");
const control = benchName("control");
const dir = mkdtempSync(join(tmpdir(), "shadow-bench-"));

async function drain(
  role: "primary" | "shadow",
): Promise<{ ms: number; produced: number; held: number }> {
  const identity: Identity = {
    workload: "bench",
    instance: `bench-${role}`,
    node: "node-a",
    role,
    incarnation: benchName("i"),
    ...(role === "shadow" ? { migrationId: benchName("m") } : {}),
  };
  const path = join(dir, `${role}.json`);
  writeFileSync(`${path}.tmp`, JSON.stringify(identity));
  renameSync(`${path}.tmp`, path);
  const service = createExampleService(
    {
      brokers: brokersOf(),
      inputTopics: [input],
      outputTopic: output,
      deadLetterTopic: dlq,
      controlTopic: control,
      identityPath: path,
      httpHost: "127.0.0.1",
      httpPort: 0,
      ballastMb: 0,
      costMs: 0,
      costMode: "sleep",
      maxHeldOutputs: RECORDS * 2,
      maxPendingOutputs: 10_000,
      logLevel: "error",
    },
    { log: pino({ level: "error" }) },
  );
  // Sample from before start: the input may be drained before start() even returns.
  let first = 0;
  let done: { ms: number; produced: number; held: number } | undefined;
  const sampler = setInterval(() => {
    const status = service.workload.status();
    if (first === 0 && status.counts.processed > 0) first = performance.now();
    const settled = role === "shadow" || status.inFlightOutputs === 0;
    if (!done && status.counts.processed >= RECORDS && settled) {
      done = {
        ms: performance.now() - first,
        produced: status.counts.produced,
        held: status.heldBack.size,
      };
    }
  }, 1);
  await service.start();
  while (!done) await new Promise((resolve) => setTimeout(resolve, 10));
  clearInterval(sampler);
  await service.stop();
  return done;
}

try {
  await withTopics(
    kafka,
    [
      { topic: input, partitions: 4 },
      { topic: output, partitions: 4 },
      { topic: dlq, partitions: 1 },
      { topic: control, partitions: 1 },
    ],
    async () => {
      await generateLoad({
        brokers: brokersOf(),
        kafka,
        topic: input,
        rate: 10_000,
        count: RECORDS,
        keys: 64,
      });
      process.stdout.write(
        `SDK over the real broker: draining a backlog of ${RECORDS} records, zero processing cost\n`,
      );
      for (const role of ["primary", "shadow"] as const) {
        const { ms, produced, held } = await drain(role);
        process.stdout.write(
          `  ${role.padEnd(8)} ${((RECORDS / ms) * 1000).toFixed(0).padStart(7)} records/s  ${((ms * 1000) / RECORDS).toFixed(1).padStart(6)} µs/record` +
            `  (produced ${produced}, held back ${held})\n`,
        );
      }
    },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
