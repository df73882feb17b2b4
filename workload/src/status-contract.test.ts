import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { healthBody, type Identity, statusBody, workloadStatus } from "@shadow/contract";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createStatusApp } from "./sdk/status-app.ts";
import { createWorkload } from "./sdk/workload.ts";

/** The SDK serves the contract's bodies: what the platform and the protocol document expect. */
describe("the SDK's /status and /health", () => {
  const dir = mkdtempSync(join(tmpdir(), "shadow-status-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function workloadAs(identity: Identity, snapshotOf?: Identity) {
    const identityPath = join(dir, `${identity.instance}.json`);
    writeFileSync(identityPath, JSON.stringify(identity));
    return createWorkload<number>({
      service: { initialState: () => 0, handle: () => [] },
      brokers: ["127.0.0.1:1"],
      inputTopics: ["in"],
      outputTopic: "out",
      deadLetterTopic: "dlq",
      identityPath,
      log: pino({ level: "silent" }),
      ...(snapshotOf
        ? {
            snapshot: {
              identity: snapshotOf,
              state: 7,
              processed: [{ topic: "in", partition: 0, offset: 41 }],
              unsettled: [],
              takenAt: Date.now(),
            },
          }
        : {}),
    });
  }

  const source: Identity = {
    workload: "bank",
    instance: "bank-0",
    node: "node-a",
    role: "primary",
    incarnation: 0,
  };

  it("a primary's bodies parse with the contract's schemas", async () => {
    const app = createStatusApp(workloadAs(source));
    const status = workloadStatus.parse(await (await app.request("/status")).json());
    expect(status).toMatchObject({ identity: source, mode: "primary", processed: [] });
    expect(statusBody.safeParse(status).success).toBe(true);
    const health = healthBody.parse(await (await app.request("/health")).json());
    expect(health).toEqual({ ok: true, mode: "primary", instance: "bank-0" });
  });

  it("so do a restored shadow's, with the offsets it woke up with", async () => {
    const shadow: Identity = {
      ...source,
      instance: "bank-0-shadow",
      node: "node-b",
      role: "shadow",
      incarnation: 1,
      migrationId: "m-1",
    };
    const app = createStatusApp(workloadAs(shadow, source));
    const status = workloadStatus.parse(await (await app.request("/status")).json());
    expect(status).toMatchObject({
      mode: "shadow",
      processed: [{ topic: "in", partition: 0, offset: 41 }],
      counts: { identityChanges: 1 },
    });
  });
});
