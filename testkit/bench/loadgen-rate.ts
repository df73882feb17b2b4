import { generateLoad } from "../src/loadgen/generator.ts";
import { benchKafka, benchName, brokersOf, withTopics } from "./support.ts";

/**
 * The load generator's achievable rate on this machine: each target rate for a few seconds
 * into a fresh 4-partition topic, reporting what was really sent and how far behind schedule
 * it fell. Run: `npx tsx testkit/bench/loadgen-rate.ts [seconds]`.
 */
const seconds = Number(process.argv[2] ?? 5);
const kafka = benchKafka();
process.stdout.write(`load generator, ${seconds} s per rate, 4 partitions, acks=all, idempotent\n`);
for (const rate of [100, 1_000, 5_000, 10_000]) {
  const topic = benchName("loadgen");
  const result = await withTopics(kafka, [{ topic, partitions: 4 }], () =>
    generateLoad({
      brokers: brokersOf(),
      kafka,
      topic,
      rate,
      durationMs: seconds * 1000,
      keys: 64,
    }),
  );
  process.stdout.write(
    `  target ${String(rate).padStart(6)} msg/s: sent ${String(result.sent).padStart(6)}, achieved ${result.achievedRate.toFixed(0).padStart(6)} msg/s, ` +
      `max behind schedule ${result.maxScheduleLagMs.toFixed(1)} ms\n`,
  );
}
