import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { imageKeySchema } from "./key.ts";

/**
 * Configuration of checkpoint images, from the environment, validated at start-up:
 *
 *   SHADOW_STATE                      state root (default /var/lib/shadow)
 *   SHADOW_REGISTRY                   registry host:port, loopback only (default 127.0.0.1:5000)
 *   SHADOW_IMAGE_ENCRYPTION           on | off (default on)
 *   SHADOW_IMAGE_KEY                  the 32-byte key, hex or base64; or
 *   SHADOW_IMAGE_KEY_FILE             a file holding it (default $SHADOW_STATE/keys/image.key,
 *                                     created with a random key, mode 0600, when missing)
 *   SHADOW_IMAGE_BUDGET_BYTES         disk budget for kept artifacts (default: unbounded)
 *   SHADOW_IMAGE_UPLOAD_CHUNK_BYTES   PATCH chunk size for big blobs (default 64 MiB)
 *   SHADOW_IMAGE_CIPHER_CHUNK_BYTES   plaintext bytes per encrypted frame (default 1 MiB)
 *   SHADOW_IMAGE_ARCHIVE              on | off (default on): a streamed dump's OCI image is
 *                                     still built and pushed, after its migration ends
 */

const loopbackHost = z
  .string()
  .regex(/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):\d{1,5}$/, "must be a loopback host:port");

const envSchema = z.object({
  SHADOW_STATE: z.string().default("/var/lib/shadow"),
  SHADOW_REGISTRY: loopbackHost.default("127.0.0.1:5000"),
  SHADOW_IMAGE_ENCRYPTION: z.enum(["on", "off"]).default("on"),
  SHADOW_IMAGE_KEY: imageKeySchema.optional(),
  SHADOW_IMAGE_KEY_FILE: z.string().optional(),
  SHADOW_IMAGE_BUDGET_BYTES: z.coerce.number().int().positive().optional(),
  SHADOW_IMAGE_UPLOAD_CHUNK_BYTES: z.coerce
    .number()
    .int()
    .min(1 << 16)
    .default(64 << 20),
  SHADOW_IMAGE_CIPHER_CHUNK_BYTES: z.coerce
    .number()
    .int()
    .min(4096)
    .max(64 << 20)
    .default(1 << 20),
  SHADOW_IMAGE_ARCHIVE: z.enum(["on", "off"]).default("on"),
});

export interface ImageStoreConfig {
  stateDir: string;
  registry: string;
  /** Undefined when encryption is off. */
  key: Buffer | undefined;
  budgetBytes: number | undefined;
  uploadChunkBytes: number;
  cipherChunkBytes: number;
  /** Build and push the OCI images of streamed dumps after their migration (see DumpSnapshots). */
  archive: boolean;
}

export function loadImageStoreConfig(env: NodeJS.ProcessEnv = process.env): ImageStoreConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid image configuration: ${lines.join("; ")}`);
  }
  const e = parsed.data;
  let key: Buffer | undefined;
  if (e.SHADOW_IMAGE_ENCRYPTION === "on") {
    key =
      e.SHADOW_IMAGE_KEY ??
      readKeyFile(
        e.SHADOW_IMAGE_KEY_FILE ?? join(e.SHADOW_STATE, "keys", "image.key"),
        !e.SHADOW_IMAGE_KEY_FILE,
      );
  }
  return {
    stateDir: e.SHADOW_STATE,
    registry: e.SHADOW_REGISTRY,
    key,
    budgetBytes: e.SHADOW_IMAGE_BUDGET_BYTES,
    uploadChunkBytes: e.SHADOW_IMAGE_UPLOAD_CHUNK_BYTES,
    cipherChunkBytes: e.SHADOW_IMAGE_CIPHER_CHUNK_BYTES,
    archive: e.SHADOW_IMAGE_ARCHIVE === "on",
  };
}

/** Reads a key file; the default one is created on first use, readable by root only. */
function readKeyFile(path: string, createIfMissing: boolean): Buffer {
  if (!existsSync(path)) {
    if (!createIfMissing)
      throw new Error(`invalid image configuration: SHADOW_IMAGE_KEY_FILE ${path} does not exist`);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const parsed = imageKeySchema.safeParse(readFileSync(path, "utf8"));
  if (!parsed.success) {
    throw new Error(
      `invalid image configuration: key file ${path}: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}
