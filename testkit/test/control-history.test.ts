import { CONTROL_CLOCK_MARGIN_MS, type Identity } from "@shadow/contract";
import { FenceCut, FencePassed } from "@shadow/events";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ControlDriver,
  createRunTopics,
  deleteGroupsOf,
  deleteTopics,
  emptySnapshot,
  eventually,
  fenceFor,
  handoffIdentities,
  IdentityFiles,
  type Instance,
  type RunTopics,
  ready,
  startInstance,
  testKafka,
} from "./support.ts";

/**
 * A shadow reads the control log from shortly before it became one, not from the log's start:
 * older fence events are other migrations' (thousands after a benchmark), and decoding them
 * all cost a just-restored copy most of a second of its catch-up.
 */
const WORKLOAD = "audit";
let kafka: Kafka;
let topics: RunTopics;
let driver: ControlDriver;
const files = new IdentityFiles();
const identities: Identity[] = [];
let shadow: Instance | undefined;

beforeAll(async () => {
  kafka = testKafka();
  topics = await createRunTopics(kafka, 1);
  driver = await ControlDriver.start(kafka, topics.control);
});

afterAll(async () => {
  await shadow?.stop();
  await driver.stop();
  await deleteTopics(kafka, topics.all);
  await deleteGroupsOf(kafka, identities, [driver.groupId]);
  files.remove();
});

describe("a shadow's control read", () => {
  it("skips fence events from before it became a shadow and acts on those after", async () => {
    const { source, shadow: shadowId, migrationId } = handoffIdentities(WORKLOAD);
    identities.push(source, shadowId);
    // A cut with nothing to process: any shadow that reads it passes at once.
    const cutOf = (fence: ReturnType<typeof fenceFor>) => ({
      ...fence.base,
      instance: source.instance,
      cut: [],
      pausedAt: new Date().toISOString(),
    });
    const old = fenceFor(WORKLOAD, source, shadowId, migrationId);
    await driver.publish(FenceCut, cutOf(old), Date.now() - 2 * CONTROL_CLOCK_MARGIN_MS);

    shadow = await startInstance({
      topics,
      identityPath: files.write("shadow", shadowId),
      snapshot: emptySnapshot(source),
      name: "shadow",
    });
    const workload = shadow.workload;
    await ready(shadow);
    expect(workload.status().mode).toBe("shadow");

    // The control log is read in order: by the time the fresh cut is passed, the old one was
    // read first. Had the shadow acted on it, it would have passed the old cut (and been primary
    // at the fresh one, which it would then never pass).
    const fresh = fenceFor(WORKLOAD, source, shadowId, migrationId);
    await driver.publish(FenceCut, cutOf(fresh));
    const passed = await driver.waitFor(FencePassed.type, 15_000);
    expect(passed.data.fenceId).toBe(fresh.base.fenceId);
    await eventually("shadow primary", () => workload.status().mode === "primary");
    expect(driver.of(FencePassed.type).map((e) => e.data.fenceId)).toEqual([fresh.base.fenceId]);
  });
});
