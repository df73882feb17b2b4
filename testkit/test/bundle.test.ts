import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkloadStatus } from "@shadow/contract";
import { freePort } from "@shadow/supervisor";
import { beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../src/loadgen/generator.ts";
import { verify } from "../src/verifier/analyze.ts";
import { readRun } from "../src/verifier/read.ts";
import { brokers, eventually, randomName, testKafka, useRunTopics } from "./support.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "example-service.js");
const kafka = testKafka();
const { topics, files } = useRunTopics(kafka, 2);

beforeAll(async () => {
  const built = spawnSync(process.execPath, ["--import", "tsx", "scripts/bundle.ts"], {
    cwd: root,
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`bundle failed: ${built.stderr}`);
}, 120_000);

describe("the bundled example service", () => {
  it("runs as one file with plain node, serves HTTP, processes input and stops cleanly", async () => {
    expect(existsSync(bundle)).toBe(true);
    const port = await freePort();
    const identityPath = files.write("bundle", {
      workload: "bank",
      instance: "bank-0",
      node: "node-a",
      role: "primary",
      incarnation: randomName("b"),
    });
    const child: ChildProcess = spawn(process.execPath, [bundle], {
      // Run from elsewhere: the file must not need the tree around it.
      cwd: files.dir,
      env: {
        PATH: process.env.PATH,
        SHADOW_KAFKA_BROKERS: brokers().join(","),
        SHADOW_INPUT_TOPICS: topics.input,
        SHADOW_OUTPUT_TOPIC: topics.output,
        SHADOW_DLQ_TOPIC: topics.dlq,
        SHADOW_CONTROL_TOPIC: topics.control,
        SHADOW_IDENTITY_PATH: identityPath,
        SHADOW_HTTP_HOST: "127.0.0.1",
        SHADOW_HTTP_PORT: String(port),
        SHADOW_COST_MS: "2",
        SHADOW_BALLAST_MB: "16",
        SHADOW_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    try {
      const status = async (): Promise<WorkloadStatus | undefined> => {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/status`);
          return response.ok ? ((await response.json()) as WorkloadStatus) : undefined;
        } catch {
          return undefined;
        }
      };
      await eventually("bundle ready", async () => {
        const s = await status();
        return s?.inputReady && s.controlReady;
      });
      const load = await startLoad({
        brokers: [],
        kafka,
        topic: topics.input,
        rate: 200,
        count: 100,
        keys: 4,
      }).done;
      await eventually(
        "bundle processed the load",
        async () => (await status())?.counts.produced === load.sent,
      );
      const state = (await (await fetch(`http://127.0.0.1:${port}/state`)).json()) as {
        outputs: number;
        ballastBytes: number;
      };
      expect(state.outputs).toBe(load.sent);
      expect(state.ballastBytes).toBe(16 * 1024 * 1024);
      const report = verify(
        await readRun(kafka, { inputTopics: [topics.input], outputTopic: topics.output }),
        { run: load.run },
      );
      expect(report.ok).toBe(true);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      if (stderr) console.log(stderr.slice(0, 2_000));
    }
  });
});
