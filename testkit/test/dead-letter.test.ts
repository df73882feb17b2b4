import { deadLetterHeaders } from "@shadow/workload";
import { describe, expect, it } from "vitest";
import { startLoad } from "../src/loadgen/generator.ts";
import { verify } from "../src/verifier/analyze.ts";
import { readRun } from "../src/verifier/read.ts";
import { summarize } from "../src/verifier/summary.ts";
import { drained, randomName, ready, startInstance, testKafka, useRunTopics } from "./support.ts";

const kafka = testKafka();
const { topics, files } = useRunTopics(kafka, 3);

describe("bad input", () => {
  it("sends records the service cannot use to the DLQ with a reason and keeps going", async () => {
    const service = await startInstance({
      topics,
      name: "dlq",
      costMs: 2,
      identityPath: files.write("dlq", {
        workload: "bank",
        instance: "bank-0",
        node: "node-a",
        role: "primary",
        incarnation: randomName("i"),
      }),
    });
    try {
      await ready(service);
      // Every 7th record is bad: alternately not JSON and JSON without its fields.
      const load = await startLoad({
        brokers: [],
        kafka,
        topic: topics.input,
        rate: 200,
        count: 300,
        keys: 6,
        badEvery: 7,
      }).done;
      expect(load.bad).toBeGreaterThan(40);
      await drained(kafka, service, topics.input);

      const records = await readRun(kafka, {
        inputTopics: [topics.input],
        outputTopic: topics.output,
        deadLetterTopic: topics.dlq,
      });
      const report = verify(records, { run: load.run });
      console.log(
        `\n[bad input] ${load.sent} valid and ${load.bad} bad records\n${summarize(report)}`,
      );
      expect(report.inputs).toEqual({ valid: load.sent, invalid: load.bad });
      expect(report.deadLetters).toEqual({
        checked: true,
        count: load.bad,
        expected: load.bad,
        missing: 0,
        duplicated: 0,
        ofValidInputs: 0,
      });
      expect(report.outputs.distinct).toBe(load.sent);
      expect(report.ok).toBe(true);

      const reasons = records.deadLetters.map(
        (record) => record.headers[deadLetterHeaders.reason] ?? "",
      );
      expect(reasons.some((reason) => reason.startsWith("not JSON"))).toBe(true);
      expect(reasons.some((reason) => /seq|keySeq|sentAt|amount|run/.test(reason))).toBe(true);
      expect(new Set(records.deadLetters.map((r) => r.headers[deadLetterHeaders.code]))).toEqual(
        new Set(["invalid-record"]),
      );
      expect(
        records.deadLetters.every((r) => r.headers[deadLetterHeaders.instance] === "bank-0"),
      ).toBe(true);
      expect(service.workload.status().counts.deadLettered).toBe(load.bad);
    } finally {
      await service.stop();
    }
  });
});
