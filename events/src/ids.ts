import { createHash, randomUUID } from "node:crypto";

/** A fresh event id for an event that starts something (a request, a pressure reading). */
export function newEventId(): string {
  return randomUUID();
}

// A fixed namespace for the ids below (itself a random v4 uuid, chosen once).
const NAMESPACE = Buffer.from("6f1d2b8e4c3a4f0b9e7d5a1c2b3e4f50", "hex");

/**
 * The id of the `index`-th event a handler emits in reaction to the event (`source`, `id`):
 * a name-based UUID (version 5, RFC 9562 §5.5), so running the same handler again for the
 * same input (a redelivery after a crash before the offset commit) re-emits events with the
 * same ids, which every consumer's (source, id) dedupe recognises and drops.
 */
export function deriveEventId(source: string, id: string, index: number): string {
  // JSON: no separator inside a source or an id can make two inputs look alike.
  const name = JSON.stringify([source, id, index]);
  const hash = createHash("sha1").update(NAMESPACE).update(name).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
