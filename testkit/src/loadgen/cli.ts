import { parseArgs } from "node:util";
import { z } from "zod";
import { generateLoad } from "./generator.ts";

/**
 * `tsx testkit/src/loadgen/cli.ts --topic orders --rate 100 --duration 30 [--count N]
 *  [--keys 16] [--bad-every 0] [--run ID] [--brokers 127.0.0.1:9092]`
 * Prints the result as JSON.
 */
const args = z.object({
  brokers: z.string().default(process.env.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092"),
  topic: z.string().min(1),
  rate: z.coerce.number().min(10).max(10_000),
  count: z.coerce.number().int().positive().optional(),
  duration: z.coerce.number().positive().optional(),
  keys: z.coerce.number().int().positive().default(16),
  "bad-every": z.coerce.number().int().min(0).default(0),
  run: z.string().min(1).max(64).optional(),
});

const { values } = parseArgs({
  options: {
    brokers: { type: "string" },
    topic: { type: "string" },
    rate: { type: "string" },
    count: { type: "string" },
    duration: { type: "string" },
    keys: { type: "string" },
    "bad-every": { type: "string" },
    run: { type: "string" },
  },
});
const parsed = args.safeParse(values);
if (!parsed.success) {
  process.stderr.write(`loadgen: ${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const options = parsed.data;
if (options.count === undefined && options.duration === undefined) {
  process.stderr.write("loadgen: give --count or --duration (seconds)\n");
  process.exit(2);
}
const result = await generateLoad({
  brokers: options.brokers.split(","),
  topic: options.topic,
  rate: options.rate,
  keys: options.keys,
  badEvery: options["bad-every"],
  ...(options.count === undefined ? {} : { count: options.count }),
  ...(options.duration === undefined ? {} : { durationMs: options.duration * 1000 }),
  ...(options.run === undefined ? {} : { run: options.run }),
});
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
