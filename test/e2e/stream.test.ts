import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { promisify } from "node:util";
import type { MigrationView } from "@shadow/migration";
import { createLocalRuntime } from "@shadow/runtime/local";
import { formatReport, gateway, runScenario, type ScenarioReport, waitFor } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const run = promisify(execFile);

/** The catch-up deadline of these tests: a stuck shadow is given up on within it. */
const CATCH_UP_TIMEOUT_MS = 30_000;

const base = {
  strategy: "shadow",
  identitySwap: false,
  imageTransfer: "stream",
  rate: 40,
  partitions: 3,
  warmupMs: 3_000,
  cooldownMs: 2_000,
} as const;

function expectClean(report: ScenarioReport): void {
  expect(report.verify.lost.count).toBe(0);
  expect(report.verify.duplicated.count).toBe(0);
  expect(report.probe.longestOutageMs).toBe(0);
}

function expectRolledBackWithSourceServing(report: ScenarioReport, workload: string): void {
  console.log(formatReport(report));
  expect(report.migration.status).toBe("rolled-back");
  expect(report.migration.rollback?.serving).toEqual({ instance: workload, node: "node-a" });
  expect(report.instancesAfter).toEqual([
    { instance: workload, node: "node-a", state: "running", mode: "primary" },
  ]);
  expect(report.verify.lost.count).toBe(0);
  expect(report.verify.duplicated.count).toBe(0);
  // The source served throughout: no input waited without a copy consuming it (its freeze
  // for the dump aside, whose length on a busy machine is not what these tests are about).
  expect(report.verify.downtime.longest.ms).toBe(0);
}

/** The process with a TCP socket on this local port (the page source a stream names). */
async function processOnPort(port: number): Promise<number | undefined> {
  const { stdout } = await run("ss", ["-tanpH", `sport = :${port}`]);
  const pid = /pid=(\d+)/.exec(stdout)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

describe("a streamed migration, on the stack", () => {
  const env = useScenarioEnvironment({ SHADOW_CATCH_UP_TIMEOUT_MS: String(CATCH_UP_TIMEOUT_MS) });

  it("completes post-copy: nothing lost, no downtime, its OCI image archived afterwards", async () => {
    const workload = workloadName("st-ok");
    const report = await runScenario(env(), { ...base, workload, ballastMb: 16 });
    console.log(formatReport(report));
    expect(report.migration.status).toBe("completed");
    expectClean(report);
    const work = report.migration.work.find((w) => w.round === 1);
    expect(work?.transfer).toBe("stream");
    if (work?.postCopy) {
      // The stream carried what the restore needs first; the rest came from the page source.
      expect(work.imageBytes).toBeLessThan((report.migration.dumpBytes ?? 0) / 4);
      expect(work.memoryMs).toBeGreaterThan(0);
    }
    expect(work?.firstRecordMs).toBeGreaterThanOrEqual(0);
    expect(work?.replayPerSec).toBeGreaterThan(0);
    // The encrypted OCI image is built once the migration has ended, and pushed.
    const archived = await waitFor("the archived image", 120_000, async () => {
      const view = await gateway<MigrationView>(
        env(),
        "GET",
        `/migrations/${report.migration.migrationId}`,
      );
      return view.archived?.length ? view.archived : undefined;
    });
    expect(archived[0]?.imageRef).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(archived[0]?.sizeBytes).toBeGreaterThanOrEqual(report.migration.dumpBytes ?? 1);
  }, 300_000);

  it("rolls back, the source serving, when the page source dies before the copy has its pages", async () => {
    const workload = workloadName("st-pages");
    let killed = 0;
    const report = await runScenario(env(), { ...base, workload, ballastMb: 256 }, undefined, {
      async onMigrationStarted(migrationId) {
        // The stream names its page source; held still as soon as it is known (the daemon's
        // connection is accepted by the kernel, its requests go unanswered), then killed.
        const port = await waitFor("the stream's page source", 120_000, async () => {
          const view = await gateway<MigrationView>(env(), "GET", `/migrations/${migrationId}`);
          const ref = view.work.find((w) => w.round === 1)?.imageRef;
          const m = ref ? /\?pages=[0-9.]+:(\d+)$/.exec(ref) : undefined;
          return m ? Number(m[1]) : undefined;
        });
        const pid = await waitFor("its process", 10_000, () => processOnPort(port));
        process.kill(pid, "SIGSTOP");
        await new Promise((r) => setTimeout(r, 2_000));
        process.kill(pid, "SIGKILL");
        killed = pid;
      },
    });
    expect(killed).toBeGreaterThan(0);
    expectRolledBackWithSourceServing(report, workload);
    expect(["restore", "catch-up"]).toContain(report.migration.failure?.step);
  }, 300_000);
});

describe.each([
  ["cut off midway", "cut:200000"],
  ["with one byte changed on the wire", "flip:150000"],
])("a stream %s is refused, and the migration rolls back", (_what, fault) => {
  const env = useScenarioEnvironment({ SHADOW_STREAM_FAULT: fault });

  it("with the source serving, nothing lost", async () => {
    const workload = workloadName("st-fault");
    const report = await runScenario(env(), { ...base, workload, ballastMb: 16 });
    expectRolledBackWithSourceServing(report, workload);
    expect(report.migration.failure).toMatchObject({ step: "image", code: "IMAGE_INTEGRITY" });
    // Nothing of the stream was left on the target: no copy, received or partial.
    const { layout } = await createLocalRuntime();
    const id = report.migration.migrationId.toLowerCase();
    const leftOnTarget = (await readdir(layout.checkpointsDir("node-b"))).filter((n) =>
      n.startsWith(id),
    );
    expect(leftOnTarget).toEqual([]);
  });
});
