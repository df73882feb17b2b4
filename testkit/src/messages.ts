import { z } from "zod";

/**
 * The load generator's input records and the example service's outputs. Every input carries
 * a global sequence number, a per-key sequence number and its send time, which is all the
 * verifier needs to find lost, duplicated and reordered messages and to measure latency.
 */
export const inputMessage = z.object({
  /** Identifies one load run, so a verifier can ignore records of other runs on a shared topic. */
  run: z.string().min(1).max(64),
  seq: z.number().int().nonnegative(),
  key: z.string().min(1).max(256),
  keySeq: z.number().int().nonnegative(),
  /** Wall clock at send, ms since epoch (fractional). */
  sentAt: z.number().positive(),
  amount: z.number().int(),
});
export type InputMessage = z.infer<typeof inputMessage>;

export const outputMessage = z.object({
  run: z.string(),
  seq: z.number().int().nonnegative(),
  key: z.string(),
  keySeq: z.number().int().nonnegative(),
  sentAt: z.number(),
  /** When the service processed the input (ms since epoch). */
  processedAt: z.number(),
  /** The instance that processed it (the source or the shadow). */
  instance: z.string(),
  /** The node it ran on: with the instance, which copy of the workload processed it. */
  node: z.string().optional(),
  /** The service's own count of outputs, global and per key: continuous across a handover. */
  outSeq: z.number().int().positive(),
  outKeySeq: z.number().int().positive(),
  balance: z.number().int(),
});
export type OutputMessage = z.infer<typeof outputMessage>;

/** Parses a record value as JSON against a schema; the reason says why not. */
export function parseRecord<T>(
  schema: z.ZodType<T>,
  value: Buffer | string | null,
): { ok: true; value: T } | { ok: false; reason: string } {
  if (value === null || value.length === 0) return { ok: false, reason: "empty record" };
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: z.prettifyError(parsed.error).replace(/\n/g, "; ") };
  return { ok: true, value: parsed.data };
}
