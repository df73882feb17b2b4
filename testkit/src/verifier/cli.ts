import { parseArgs } from "node:util";
import { z } from "zod";
import { verify } from "./analyze.ts";
import { readRun } from "./read.ts";
import { summarize } from "./summary.ts";

/**
 * `tsx testkit/src/verifier/cli.ts --input orders --output balances [--dlq orders.dlq]
 *  [--run ID] [--window-start MS --window-end MS] [--json] [--brokers 127.0.0.1:9092]`
 * Prints the human summary (and the JSON report with --json); exits 1 when the run lost,
 * duplicated or reordered anything.
 */
const args = z.object({
  brokers: z.string().default(process.env.SHADOW_KAFKA_BROKERS ?? "127.0.0.1:9092"),
  input: z.string().min(1),
  output: z.string().min(1),
  dlq: z.string().min(1).optional(),
  run: z.string().min(1).optional(),
  "window-start": z.coerce.number().optional(),
  "window-end": z.coerce.number().optional(),
  json: z.boolean().default(false),
});

const { values } = parseArgs({
  options: {
    brokers: { type: "string" },
    input: { type: "string" },
    output: { type: "string" },
    dlq: { type: "string" },
    run: { type: "string" },
    "window-start": { type: "string" },
    "window-end": { type: "string" },
    json: { type: "boolean" },
  },
});
const parsed = args.safeParse(values);
if (!parsed.success) {
  process.stderr.write(`verifier: ${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const options = parsed.data;
const records = await readRun(options.brokers.split(","), {
  inputTopics: options.input.split(","),
  outputTopic: options.output,
  ...(options.dlq ? { deadLetterTopic: options.dlq } : {}),
});
const start = options["window-start"];
const end = options["window-end"];
const report = verify(records, {
  ...(options.run ? { run: options.run } : {}),
  checkDeadLetters: options.dlq !== undefined,
  ...(start !== undefined && end !== undefined ? { window: { start, end } } : {}),
});
process.stdout.write(`${summarize(report)}\n`);
if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exit(report.ok ? 0 : 1);
