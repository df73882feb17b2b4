import { decodeRecord, type RawRecord, validateEvent } from "@shadow/events";
import type { FoldableEvent } from "./fold.ts";
import type { LogPosition } from "./ledger/log-ledger.ts";

export type LogRecordResult =
  | { ok: true; event: FoldableEvent; position: LogPosition }
  | { ok: false; code: string; reason: string };

/**
 * One record of the migrations topic as the fold takes it: the event (its id made unique across
 * producers by its source) and its place in the log, keyed as the ledger judges it. A record
 * that is no valid shadow event comes back with the reason; the services dead-letter it, a
 * reader skips it.
 */
export function migrationLogRecord(
  partition: number,
  record: RawRecord & { offset: string },
): LogRecordResult {
  const decoded = decodeRecord(record);
  if (!decoded.ok) return { ok: false, code: decoded.code, reason: decoded.reason };
  const valid = validateEvent(decoded.event);
  if (!valid.ok) return { ok: false, code: valid.code, reason: valid.reason };
  const e = valid.event;
  const key = record.key === undefined || record.key === null ? null : record.key.toString();
  return {
    ok: true,
    event: {
      id: `${e.source}/${e.id}`,
      type: e.type,
      time: e.time,
      data: e.data,
      ...(e.traceparent ? { traceparent: e.traceparent } : {}),
    },
    position: { partition, offset: record.offset, key },
  };
}
