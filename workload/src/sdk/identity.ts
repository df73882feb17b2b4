import { readFileSync } from "node:fs";
import { type Identity, parseIdentity } from "@shadow/contract";

// The identity file's schema, default path and group names are the contract's (shared with
// the platform, which writes the file); reading it from disk is the SDK's.
export {
  controlGroupId,
  DEFAULT_IDENTITY_PATH,
  type Identity,
  identitySchema,
  inputGroupId,
  sameIdentity,
} from "@shadow/contract";

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
  const parsed = parseIdentity(text, path);
  return parsed.ok ? parsed : { ...parsed, missing: false };
}
