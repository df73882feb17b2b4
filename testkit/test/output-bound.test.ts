import type { Identity } from "@shadow/contract";
import { describe, expect, it } from "vitest";
import { startLoad } from "../src/loadgen/generator.ts";
import { readTopic } from "../src/verifier/read.ts";
import {
  countIds,
  drained,
  randomName,
  ready,
  startInstance,
  testKafka,
  useRunTopics,
} from "./support.ts";

const kafka = testKafka();
const { topics, files } = useRunTopics(kafka, 3);

describe("a primary draining a backlog", () => {
  it("stops consuming while too many outputs wait for acknowledgement, and loses none", async () => {
    // The backlog is in the log before the service starts: it processes records much faster
    // than one producer acknowledges their outputs.
    const load = startLoad({
      brokers: [],
      kafka,
      topic: topics.input,
      rate: 4_000,
      count: 3_000,
      keys: 9,
    });
    const sent = await load.done;
    expect(sent.sent).toBe(3_000);

    const identity: Identity = {
      workload: "ledger",
      instance: "ledger-0",
      node: "node-a",
      role: "primary",
      incarnation: randomName("bound"),
    };
    const service = await startInstance({
      topics,
      identityPath: files.write("primary", identity),
      name: "primary",
      costMs: 0,
      maxPendingOutputs: 50,
    });
    try {
      await ready(service);
      await drained(kafka, service, topics.input);
      const counts = service.workload.status().counts;
      expect(counts.outputPauses).toBeGreaterThan(0);
      expect(counts.processed).toBe(3_000);
    } finally {
      await service.stop();
    }

    // Every input's output is in the log exactly once: pausing and resuming (a seek back to
    // the first refused record) neither skips nor repeats one.
    const outputs = await readTopic(kafka, topics.output);
    expect(outputs).toHaveLength(3_000);
    expect(countIds(outputs).size).toBe(3_000);
  });
});
