import { createHash } from "node:crypto";
import { z } from "zod";

/**
 * The image encryption key: 32 bytes, given as 64 hex digits or as base64. Validated at
 * start-up, so a mistyped key fails with a clear message instead of at the first pull.
 */
export const imageKeySchema = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const bytes = /^[0-9a-fA-F]{64}$/.test(text)
      ? Buffer.from(text, "hex")
      : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text)
        ? Buffer.from(text, "base64")
        : undefined;
    if (bytes?.length !== 32) {
      ctx.addIssue({
        code: "custom",
        message:
          "the image key must be 32 bytes: 64 hex digits or base64 (e.g. `openssl rand -hex 32`)",
      });
      return z.NEVER;
    }
    return bytes;
  });

export function parseImageKey(text: string): Buffer {
  const parsed = imageKeySchema.safeParse(text);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data;
}

/**
 * A short public fingerprint of a key, stored on encrypted layers: a reader with another key
 * learns so from the manifest, before downloading the layer. Not reversible, says nothing
 * about the key beyond identity.
 */
export function keyId(key: Uint8Array): string {
  return createHash("sha256")
    .update("shadow image key id\0")
    .update(key)
    .digest("hex")
    .slice(0, 16);
}
