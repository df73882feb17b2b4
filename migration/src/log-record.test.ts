import { buildEvent, MigrationRequested, serviceSource, toBinaryRecord } from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { migrationLogRecord } from "./log-record.ts";

describe("a record of the migrations topic as the fold takes it", () => {
  it("gives the event, with an id unique across producers, at its place in the log", () => {
    const data = sampleData("m-1")[MigrationRequested.type];
    const event = buildEvent(MigrationRequested, data, { source: serviceSource("gateway") });
    const message = toBinaryRecord(event);
    const read = migrationLogRecord(3, { ...message, offset: "41" });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.position).toEqual({ partition: 3, offset: "41", key: message.key });
    expect(read.event.type).toBe(MigrationRequested.type);
    expect(read.event.id).toBe(`/shadow/gateway/${event.id}`);
    expect(read.event.data).toEqual(data);
  });

  it("says why a record is not a valid event", () => {
    const read = migrationLogRecord(0, { key: null, value: Buffer.from("{nope"), offset: "0" });
    expect(read).toMatchObject({ ok: false });
    if (read.ok) return;
    expect(read.reason.length).toBeGreaterThan(0);
  });
});
