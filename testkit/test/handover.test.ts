import type { Identity } from "@shadow/contract";
import { FenceCut, FencePassed } from "@shadow/events";
import type { Kafka } from "kafkajs";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { startLoad, wallClock } from "../src/loadgen/generator.ts";
import { outputMessage, parseRecord } from "../src/messages.ts";
import { type ProbeReport, startProbe } from "../src/probe/probe.ts";
import { type VerifyReport, verify } from "../src/verifier/analyze.ts";
import { readRun } from "../src/verifier/read.ts";
import type { RunRecords } from "../src/verifier/records.ts";
import { summarize } from "../src/verifier/summary.ts";
import {
  ControlDriver,
  createRunTopics,
  deleteGroupsOf,
  deleteTopics,
  drained,
  eventually,
  fenceFor,
  handoffIdentities,
  IdentityFiles,
  type Instance,
  ready,
  startInstance,
  testKafka,
} from "./support.ts";

/**
 * Two live instances of the example service on a 4-partition topic under load: the second
 * starts from a snapshot of the first's state and offsets (what a CRIU restore gives it) with
 * its own identity file saying shadow. The test plays fence-svc on the control topic.
 */
interface Scenario {
  name: string;
  rate: number;
  durationMs: number;
  snapshotAfterMs: number;
  /** Start the shadow this long after the snapshot (the source runs ahead meanwhile). */
  shadowDelayMs?: number;
  shadowCostMs?: number;
  sourceCostMs?: number;
  /** Ask for the cut once the shadow is caught up with the source, or as soon as it runs. */
  fenceWhen: "caught-up" | "running";
  abortAfterCut?: boolean;
  onRequested?(instances: { source: Instance; shadow: Instance }): void;
  onCut?(instances: { source: Instance; shadow: Instance }): void;
}

interface Outcome {
  report: VerifyReport;
  /** 10 ms HTTP probes of /health on each side, from the request to the end of the handover. */
  probes: { source: ProbeReport; shadow: ProbeReport };
  records: RunRecords;
  sent: number;
  handoverMs: number | undefined;
  behindAtRequest: number | null;
  source: Instance;
  shadow: Instance;
  driver: ControlDriver;
}

const WORKLOAD = "bank";
let kafka: Kafka;

beforeAll(() => {
  kafka = testKafka();
});

/** Runs the cleanups of one test, last registered first, whatever the test's outcome. */
function cleanupAfterTest(): (cleanup: () => Promise<void>) => void {
  const cleanups: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runHandover(scenario: Scenario): Promise<Outcome> {
  const cleanup = cleanupAfterTest();
  const topics = await createRunTopics(kafka, 4);
  const files = new IdentityFiles();
  const driver = await ControlDriver.start(kafka, topics.control);
  const identities: Identity[] = [];
  cleanup(async () => {
    await driver.stop();
    await deleteTopics(kafka, topics.all);
    await deleteGroupsOf(kafka, identities, [driver.groupId]);
    files.remove();
  });
  const { source: sourceId, shadow: shadowId, migrationId } = handoffIdentities(WORKLOAD);
  const source = await startInstance({
    topics,
    identityPath: files.write("source", sourceId),
    name: "source",
    ...(scenario.sourceCostMs ? { costMs: scenario.sourceCostMs } : {}),
  });
  identities.push(sourceId);
  cleanup(() => source.stop());
  await ready(source);

  const load = startLoad({
    brokers: [],
    kafka,
    topic: topics.input,
    rate: scenario.rate,
    durationMs: scenario.durationMs,
    keys: 8,
  });
  await sleep(scenario.snapshotAfterMs);
  const snapshot = await source.workload.snapshot();
  await sleep(scenario.shadowDelayMs ?? 0);

  const shadow = await startInstance({
    topics,
    identityPath: files.write("shadow", shadowId),
    snapshot,
    name: "shadow",
    ...(scenario.shadowCostMs ? { costMs: scenario.shadowCostMs } : {}),
  });
  identities.push(shadowId);
  cleanup(() => shadow.stop());
  await ready(shadow);
  expect(shadow.workload.status().mode).toBe("shadow");

  if (scenario.fenceWhen === "caught-up") {
    await eventually("shadow caught up with the source", () => {
      const lag = shadow.workload.status().lagBehindSource;
      return lag !== null && lag <= 3;
    });
  } else {
    await eventually(
      "shadow reads its source's progress",
      () => shadow.workload.status().lagBehindSource !== null,
    );
  }
  const behindAtRequest = shadow.workload.status().lagBehindSource;
  const probing = {
    source: startProbe({ url: `http://127.0.0.1:${source.port}/health`, timeoutMs: 250 }),
    shadow: startProbe({ url: `http://127.0.0.1:${shadow.port}/health`, timeoutMs: 250 }),
  };
  const windowStart = wallClock();
  const fence = fenceFor(WORKLOAD, sourceId, shadowId, migrationId);
  await driver.requestFence(fence);
  scenario.onRequested?.({ source, shadow });
  const cut = await driver.waitFor(FenceCut.type);
  scenario.onCut?.({ source, shadow });
  expect(cut.data.instance).toBe("bank-0");
  expect(cut.data.cut).toHaveLength(4);

  if (scenario.abortAfterCut) {
    await driver.abortFence(fence, "test: rollback after the cut");
    await eventually("source resumed", () => source.workload.status().mode === "primary");
    await eventually("shadow idle", () => shadow.workload.status().mode === "idle");
  } else {
    await eventually("shadow primary", () => shadow.workload.status().handover?.primaryAt, 60_000);
    expect(source.workload.status().mode).toBe("fenced");
  }
  const windowEnd = wallClock();
  const probes = { source: await probing.source.stop(), shadow: await probing.shadow.stop() };
  const result = await load.done;
  const serving = scenario.abortAfterCut ? source : shadow;
  await drained(kafka, serving, topics.input);
  const records = await readRun(kafka, {
    inputTopics: [topics.input],
    outputTopic: topics.output,
    deadLetterTopic: topics.dlq,
  });
  const report = verify(records, { run: load.run, window: { start: windowStart, end: windowEnd } });
  const handoverMs = shadow.workload.status().handover?.handoverMs;
  console.log(
    `\n[${scenario.name}] sent ${result.sent} at ${scenario.rate}/s, shadow behind by ${behindAtRequest} at the request, ` +
      `handover delay ${handoverMs === undefined ? "-" : `${handoverMs} ms`}; ` +
      `longest failed-probe streak: source ${probes.source.longestFailStreak.count}, shadow ${probes.shadow.longestFailStreak.count} ` +
      `(of ${probes.source.probes}/${probes.shadow.probes} probes)\n${summarize(report)}`,
  );
  return {
    report,
    probes,
    records,
    sent: result.sent,
    handoverMs,
    behindAtRequest,
    source,
    shadow,
    driver,
  };
}

/** The example's state is per key: the n-th output of a key must say count n (no double apply). */
function perKeyStateConsistent(records: RunRecords): boolean {
  return records.outputs.every((record) => {
    const parsed = parseRecord(outputMessage, record.value);
    return parsed.ok && parsed.value.outKeySeq === parsed.value.keySeq + 1;
  });
}

function expectExactlyOnce(outcome: Outcome): void {
  const { report, sent } = outcome;
  expect(report.lost.count, "lost").toBe(0);
  expect(report.duplicated.count, "duplicated").toBe(0);
  expect(report.reordered.count, "reordered").toBe(0);
  expect(report.outputs.distinct).toBe(sent);
  expect(report.ok).toBe(true);
  expect(perKeyStateConsistent(outcome.records)).toBe(true);
}

function expectHandedOver(outcome: Outcome): void {
  const { report, source, shadow, driver } = outcome;
  expect(report.byInstance["bank-0"]).toBeGreaterThan(0);
  expect(report.byInstance["bank-0-shadow"]).toBeGreaterThan(0);
  expect(source.workload.status().mode).toBe("fenced");
  expect(shadow.workload.status().mode).toBe("primary");
  const cut = driver.of(FenceCut.type)[0];
  const passed = driver.of(FencePassed.type)[0];
  expect(passed?.data.instance).toBe("bank-0-shadow");
  expect(passed?.data.cut).toEqual(cut?.data.cut);
  // The source's cut is what it processed, and it processed nothing after it.
  expect(source.workload.status().processed).toEqual(cut?.data.cut.filter((p) => p.offset >= 0));
  expect(outcome.handoverMs).toBeGreaterThanOrEqual(0);
  expect(outcome.probes.shadow.probes).toBeGreaterThan(0);
}

/** A fenced source is silent on Kafka but alive: it still answers HTTP. */
async function expectAnswering(service: Instance, mode: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${service.port}/health`);
  expect(response.status).toBe(200);
  expect(((await response.json()) as { mode: string }).mode).toBe(mode);
}

describe("handover at a fence, two live instances", () => {
  it("hands over under load with nothing lost, duplicated or reordered", async () => {
    const outcome = await runHandover({
      name: "caught up",
      rate: 60,
      durationMs: 6_000,
      snapshotAfterMs: 1_500,
      fenceWhen: "caught-up",
    });
    expectExactlyOnce(outcome);
    expectHandedOver(outcome);
    await expectAnswering(outcome.source, "fenced");
    await expectAnswering(outcome.shadow, "primary");
  });

  it("hands over when the cut is asked for while the shadow is still behind", async () => {
    const outcome = await runHandover({
      name: "shadow behind",
      rate: 60,
      durationMs: 6_000,
      snapshotAfterMs: 1_000,
      shadowDelayMs: 2_000,
      fenceWhen: "running",
    });
    expect(outcome.behindAtRequest).toBeGreaterThan(10);
    expectExactlyOnce(outcome);
    expectHandedOver(outcome);
  });

  it("hands over when input outruns processing", async () => {
    const outcome = await runHandover({
      name: "overload",
      rate: 150,
      durationMs: 4_000,
      // Partitions are processed at once: at 40 ms a record, 4 partitions take 100/s, not 150.
      sourceCostMs: 40,
      shadowCostMs: 40,
      snapshotAfterMs: 1_000,
      fenceWhen: "running",
    });
    // Both sides carried a backlog: the shadow was behind the log end at the switch.
    expect(outcome.report.latency.all.max).toBeGreaterThan(500);
    expectExactlyOnce(outcome);
    expectHandedOver(outcome);
  });

  it("rolls back after the cut: the source resumes from its cut, the shadow idles", async () => {
    const outcome = await runHandover({
      name: "rollback",
      rate: 60,
      durationMs: 5_000,
      snapshotAfterMs: 500,
      shadowDelayMs: 1_000,
      // A slow shadow cannot pass the cut before the abort arrives.
      shadowCostMs: 60,
      fenceWhen: "running",
      abortAfterCut: true,
    });
    expectExactlyOnce(outcome);
    expect(outcome.report.byInstance["bank-0-shadow"] ?? 0).toBe(0);
    expect(outcome.driver.of(FencePassed.type)).toHaveLength(0);
    expect(outcome.source.workload.status().sourceFence?.aborted).toBe(true);
  });

  it.each(["source", "shadow"] as const)(
    "hands over when the %s loses its Kafka connections during the handover",
    async (side) => {
      let dropped = 0;
      const outcome = await runHandover({
        name: `${side} reconnects`,
        rate: 60,
        durationMs: 6_000,
        snapshotAfterMs: 1_500,
        fenceWhen: "caught-up",
        ...(side === "source"
          ? {
              onRequested: ({ source }) => {
                dropped = source.workload.dropConnections();
              },
            }
          : {
              onCut: ({ shadow }) => {
                dropped = shadow.workload.dropConnections();
              },
            }),
      });
      expect(dropped).toBeGreaterThan(0);
      expectExactlyOnce(outcome);
      expectHandedOver(outcome);
    },
  );
});
