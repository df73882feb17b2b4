import { readFileSync } from "node:fs";
import { instanceId, migrationId, nodeName, workloadName } from "@shadow/events";
import { z } from "zod";

/**
 * Who this process is, read from a file the runtime mounts into the container (never from
 * memory: a restored copy wakes up with the source's memory, but its own identity file).
 */
export const identitySchema = z.object({
  workload: workloadName,
  instance: instanceId,
  node: nodeName,
  role: z.enum(["primary", "shadow"]),
  /** Changes on every start and restore, so a copy never shares a consumer group. */
  incarnation: z.union([z.string().min(1).max(64), z.number().int().nonnegative()]),
  migrationId: migrationId.optional(),
});

export type Identity = z.infer<typeof identitySchema>;

export const DEFAULT_IDENTITY_PATH = "/run/shadow/identity.json";

/** `shadow.workload.<workload>.<instance>.<incarnation>`: a shadow never joins its source's group. */
export function inputGroupId(identity: Identity): string {
  return `shadow.workload.${identity.workload}.${identity.instance}.${identity.incarnation}`;
}

export function controlGroupId(identity: Identity): string {
  return `${inputGroupId(identity)}.control`;
}

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

export type IdentityRead =
  | { ok: true; identity: Identity }
  | { ok: false; reason: string; missing: boolean };

/** Reads and validates the identity file; never throws. */
export function readIdentity(path: string): IdentityRead {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: `cannot read ${path}: ${code ?? error}`,
      missing: code === "ENOENT",
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: `${path} is not JSON: ${(error as Error).message}`,
      missing: false,
    };
  }
  const parsed = identitySchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: `${path}: ${z.prettifyError(parsed.error)}`, missing: false };
  }
  return { ok: true, identity: parsed.data };
}
