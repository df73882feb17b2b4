import { z } from "zod";
import { instanceId, migrationId, nodeName, workloadName } from "./names.ts";

/**
 * Who a workload process is, read from a file the platform mounts into its container (never
 * from memory: a restored copy wakes up with the source's memory, but its own identity file).
 */
export const identitySchema = z.object({
  workload: workloadName,
  instance: instanceId,
  node: nodeName,
  role: z.enum(["primary", "shadow"]),
  /**
   * Changes on every start and restore, so a copy never shares a consumer group. Opaque to a
   * workload, which only compares it; the local runtime counts (0, 1, 2, ...).
   */
  incarnation: z.union([z.string().min(1).max(64), z.number().int().nonnegative()]),
  /** Set on a shadow: the migration whose fence events it acts on. */
  migrationId: migrationId.optional(),
});

export type Identity = z.infer<typeof identitySchema>;

/** Where the platform mounts the identity file, unless it says otherwise. */
export const DEFAULT_IDENTITY_PATH = "/run/shadow/identity.json";

/** The environment variable in which the platform names the identity file's path. */
export const IDENTITY_FILE_ENV = "SHADOW_IDENTITY_FILE";

/** Two identities are the same when every field present in either is equal. */
export function sameIdentity(a: Identity | undefined, b: Identity | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonical(a) === canonical(b);
}

function canonical(identity: Identity): string {
  const entries = Object.entries(identity)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify(entries);
}

export type ParsedIdentity = { ok: true; identity: Identity } | { ok: false; reason: string };

/**
 * Parses the identity file's text; never throws. `source` names the file in the reason. A
 * half-written or foreign file is not an identity: the caller refuses every act until it
 * parses again.
 */
export function parseIdentity(text: string, source: string): ParsedIdentity {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `${source} is not JSON: ${(error as Error).message}` };
  }
  const parsed = identitySchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: `${source}: ${z.prettifyError(parsed.error)}` };
  }
  return { ok: true, identity: parsed.data };
}
