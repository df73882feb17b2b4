import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleExampleService } from "../src/example/bundle.ts";
import { benchKafka, benchName, brokersOf, withTopics } from "./support.ts";

/**
 * What the example service weighs: its bundle (bytes, and how much of it is OpenTelemetry)
 * and the resident memory of a running instance, idle and consuming, read from /proc. The
 * RSS is what a checkpoint dumps, so every megabyte here is a megabyte in every image. Needs
 * the local broker. Run: `npx tsx testkit/bench/example-footprint.ts [samples]`.
 */
const SAMPLES = Number(process.argv[2] ?? 5);
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), "shadow-footprint-"));

function freePort(): Promise<number> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object"
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** VmRSS, RssAnon and RssFile of a process, in bytes (`/proc/<pid>/status` gives kB). */
function rssOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const bundle = await bundleExampleService(join(dir, "bundle"));
const otelBytes = Object.entries(bundle.inputs)
  .filter(([path]) => path.includes("node_modules/@opentelemetry/"))
  .reduce((sum, [, bytes]) => sum + bytes, 0);
const apiBytes = Object.entries(bundle.inputs)
  .filter(([path]) => path.includes("node_modules/@opentelemetry/api/"))
  .reduce((sum, [, bytes]) => sum + bytes, 0);

const input = benchName("in");
const names = {
  input,
  output: benchName("out"),
  dlq: benchName("dlq"),
  control: benchName("control"),
};
const kafka = benchKafka();
let child: ChildProcess | undefined;
try {
  await withTopics(
    kafka,
    Object.values(names).map((topic) => ({ topic, partitions: 4 })),
    async () => {
      const identityPath = join(dir, "identity.json");
      writeFileSync(
        `${identityPath}.tmp`,
        JSON.stringify({
          workload: "bench",
          instance: "bench-0",
          node: "node-a",
          role: "primary",
          incarnation: benchName("i"),
        }),
      );
      renameSync(`${identityPath}.tmp`, identityPath);
      const port = await freePort();
      const started = performance.now();
      const running = spawn(process.execPath, [bundle.file], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          SHADOW_KAFKA_BROKERS: brokersOf().join(","),
          SHADOW_INPUT_TOPICS: names.input,
          SHADOW_OUTPUT_TOPIC: names.output,
          SHADOW_DLQ_TOPIC: names.dlq,
          SHADOW_CONTROL_TOPIC: names.control,
          SHADOW_IDENTITY_PATH: identityPath,
          SHADOW_HTTP_HOST: "127.0.0.1",
          SHADOW_HTTP_PORT: String(port),
          SHADOW_BALLAST_MB: "0",
          SHADOW_LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      child = running;
      const pid = running.pid;
      if (pid === undefined) throw new Error("the example did not start");
      const health = await until("/health", async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        return res.ok ? performance.now() - started : undefined;
      });
      await until("the example to consume", async () => {
        const res = await fetch(`http://127.0.0.1:${port}/status`);
        const status = (await res.json()) as { inputReady: boolean; controlReady: boolean };
        return status.inputReady && status.controlReady ? true : undefined;
      });
      // Let start-up garbage be collected and the clients settle before reading.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const samples: ReturnType<typeof rssOf>[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        samples.push(rssOf(pid));
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
      process.stdout.write(
        [
          `example bundle   ${(bundle.bytes / 1024).toFixed(0)} KiB from ${bundle.modules} modules`,
          `  OpenTelemetry  ${(otelBytes / 1024).toFixed(0)} KiB (${((otelBytes / bundle.bytes) * 100).toFixed(1)}%), of which @opentelemetry/api ${(apiBytes / 1024).toFixed(0)} KiB`,
          `example process  /health after ${health.toFixed(0)} ms; consuming, idle, median of ${SAMPLES}:`,
          `  RSS ${mib(median(samples.map((s) => s.rss)))} (anon ${mib(median(samples.map((s) => s.anon)))}, file ${mib(median(samples.map((s) => s.file)))})`,
          "",
        ].join("\n"),
      );
    },
  );
} finally {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
