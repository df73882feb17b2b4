import { type Identity, OUTPUT_ID_HEADER } from "@shadow/contract";
import type { PendingOutput } from "@shadow/workload";
import { describe, expect, it } from "vitest";
import { startLoad } from "../src/loadgen/generator.ts";
import { readTopic } from "../src/verifier/read.ts";
import {
  countIds,
  drained,
  eventually,
  randomName,
  ready,
  startInstance,
  testKafka,
  useRunTopics,
} from "./support.ts";

const kafka = testKafka();
const { topics, files } = useRunTopics(kafka, 3);

describe("a restored primary reads back what it inherited unacknowledged", () => {
  it("produces only the inherited outputs the log does not have yet", async () => {
    const first: Identity = {
      workload: "ledger",
      instance: "ledger-0",
      node: "node-a",
      role: "primary",
      incarnation: randomName("a"),
    };
    const source = await startInstance({
      topics,
      identityPath: files.write("source", first),
      name: "source",
      costMs: 1,
    });
    let snapshot: Awaited<ReturnType<typeof source.workload.snapshot>>;
    try {
      await ready(source);
      const load = startLoad({
        brokers: [],
        kafka,
        topic: topics.input,
        rate: 200,
        durationMs: 500,
        keys: 6,
      });
      await load.done;
      await drained(kafka, source, topics.input);
      snapshot = await source.workload.snapshot();
    } finally {
      await source.stop();
    }
    expect(snapshot.unsettled).toEqual([]);

    // What a dump right after a produce gives the copy: outputs the log has (their
    // acknowledgement lost with the process) followed by one it never got.
    const logged = await readTopic(kafka, topics.output);
    expect(logged.length).toBeGreaterThan(50);
    const inLog: PendingOutput[] = logged.slice(-5).map((r) => ({
      topic: r.topic,
      key: r.key,
      value: r.value ?? Buffer.alloc(0),
      headers: r.headers,
      input: { topic: topics.input, partition: 0, offset: 0 },
    }));
    const last = inLog[inLog.length - 1] as PendingOutput;
    const missingId = `${topics.input}/0/999999#0`;
    const missing: PendingOutput = {
      ...last,
      headers: { ...last.headers, [OUTPUT_ID_HEADER]: missingId },
    };

    const copy = await startInstance({
      topics,
      identityPath: files.write("copy", { ...first, node: "node-b", incarnation: randomName("b") }),
      name: "copy",
      costMs: 1,
      snapshot: { ...snapshot, unsettled: [...inLog, missing] },
    });
    try {
      await eventually("the inherited outputs settled", () => {
        const status = copy.workload.status();
        return status.inputReady && status.inFlightOutputs === 0 ? status : undefined;
      });
      expect(copy.workload.status().counts.readBackDropped).toBe(5);
      const after = countIds(await readTopic(kafka, topics.output));
      expect(after.get(missingId)).toBe(1);
      const duplicated = [...after].filter(([, n]) => n > 1);
      expect(duplicated).toEqual([]);
      expect(after.size).toBe(logged.length + 1);
    } finally {
      await copy.stop();
    }
  });
});
