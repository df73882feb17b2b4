import type { TextHeaders } from "@shadow/contract";

// Reading headers is the contract's (every header of the protocol is text); writing them is here.
export { headersToText, type TextHeaders } from "@shadow/contract";

/** Drops undefined values and stringifies the rest, as kafkajs wants header values. */
export function textHeaders(headers: Record<string, unknown>): TextHeaders {
  const out: TextHeaders = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[key] = typeof value === "string" ? value : String(value);
  }
  return out;
}
