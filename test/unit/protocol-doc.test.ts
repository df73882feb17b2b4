import { readFileSync } from "node:fs";
import { join } from "node:path";
import { healthBody, identitySchema, statusBody, workloadStatus } from "@shadow/contract";
import {
  decodeRecord,
  FenceAborted,
  FenceCut,
  FencePassed,
  FenceRequested,
  validateEvent,
} from "@shadow/events";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { repoRoot } from "../e2e/repo-root.ts";

/**
 * docs/protocol.md and the contract cannot drift: every JSON example in the document is a
 * fenced block tagged with what it is (` ```json identity `), and parses with that schema to
 * exactly itself (zod drops unknown keys, so a field the schema does not know fails too).
 * Control-topic records are decoded with the events binding and validated with its catalog,
 * as a workload's would be.
 */
const bodies: Record<string, z.ZodType> = {
  identity: identitySchema,
  health: healthBody,
  status: statusBody,
  "workload-status": workloadStatus,
};
const CONTROL_RECORD = "control-record";
const fenceTypes = [FenceRequested, FenceCut, FencePassed, FenceAborted].map((d) => d.type);

interface Example {
  tag: string;
  text: string;
  line: number;
}

function jsonExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  for (const match of markdown.matchAll(/^```json([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const line = markdown.slice(0, match.index).split("\n").length;
    examples.push({ tag: (match[1] ?? "").trim(), text: match[2] ?? "", line });
  }
  return examples;
}

describe("docs/protocol.md", () => {
  const examples = jsonExamples(readFileSync(join(repoRoot, "docs/protocol.md"), "utf8"));

  it("tags every JSON example with a schema, and shows each schema at least once", () => {
    const known = [...Object.keys(bodies), CONTROL_RECORD];
    for (const { tag, line } of examples) expect(known, `example at line ${line}`).toContain(tag);
    for (const tag of known) expect(examples.map((e) => e.tag)).toContain(tag);
  });

  it("has bodies that parse with the contract's schemas, field for field", () => {
    for (const { tag, text, line } of examples.filter((e) => e.tag in bodies)) {
      const json: unknown = JSON.parse(text);
      const parsed = bodies[tag]?.safeParse(json);
      expect(parsed?.error, `${tag} at line ${line}`).toBeUndefined();
      expect(parsed?.data, `${tag} at line ${line}: fields the schema does not know`).toEqual(json);
    }
  });

  it("has control records a workload would read: binary CloudEvents of the catalog, keyed by migration", () => {
    const records = examples.filter((e) => e.tag === CONTROL_RECORD);
    const seen = new Set<string>();
    for (const { text, line } of records) {
      const record = JSON.parse(text) as {
        key: string;
        headers: Record<string, string>;
        value: unknown;
      };
      const decoded = decodeRecord({
        key: record.key,
        headers: record.headers,
        value: Buffer.from(JSON.stringify(record.value)),
      });
      if (!decoded.ok) throw new Error(`control record at line ${line}: ${decoded.reason}`);
      expect(decoded.mode, `line ${line}`).toBe("binary");
      const validated = validateEvent(decoded.event);
      if (!validated.ok) throw new Error(`control record at line ${line}: ${validated.reason}`);
      expect(validated.event.data, `line ${line}: fields the schema does not know`).toEqual(
        record.value,
      );
      expect(fenceTypes, `line ${line}`).toContain(validated.event.type);
      expect(record.key).toBe((record.value as { migrationId: string }).migrationId);
      expect(validated.event.subject).toBe(record.key);
      seen.add(validated.event.type);
    }
    expect([...seen].sort()).toEqual([...fenceTypes].sort());
  });
});
