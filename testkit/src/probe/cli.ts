import { parseArgs } from "node:util";
import { startProbe } from "./probe.ts";

/**
 * `tsx testkit/src/probe/cli.ts --url http://10.213.0.10:8080/health --seconds 30`
 * Probes every 10 ms and prints the report as JSON (longest streak of failed probes).
 */
const { values } = parseArgs({
  options: {
    url: { type: "string" },
    seconds: { type: "string", default: "10" },
    interval: { type: "string", default: "10" },
    timeout: { type: "string", default: "100" },
  },
});
if (!values.url) {
  process.stderr.write("probe: --url is required\n");
  process.exit(2);
}
const probe = startProbe({
  url: values.url,
  intervalMs: Number(values.interval),
  timeoutMs: Number(values.timeout),
});
const stop = async () => {
  process.stdout.write(`${JSON.stringify(await probe.stop(), null, 2)}\n`);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
setTimeout(() => void stop(), Number(values.seconds) * 1000);
