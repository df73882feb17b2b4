import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Digest } from "../src/image/digest.ts";
import type { CheckpointMetadataInput } from "../src/image/metadata.ts";
import { RegistryClient } from "../src/image/registry-client.ts";

/** Helpers shared by the image integration tests (real registry from deploy/local/registry.sh). */

export const stateDir = process.env.SHADOW_STATE ?? "/var/lib/shadow";
export const registryHost = process.env.SHADOW_REGISTRY ?? "127.0.0.1:5000";
export const registry = new RegistryClient(registryHost);

export async function requireRegistry(): Promise<void> {
  if (!(await registry.ping())) {
    throw new Error(
      `no registry answers on ${registryHost}/v2/: run deploy/local/registry.sh start (up.sh does)`,
    );
  }
}

/** A repository nobody else uses. */
export function randomRepository(): string {
  return `shadow-test/${randomBytes(6).toString("hex")}`;
}

/** Where the registry's filesystem driver keeps a blob (distribution's storage layout). */
export function registryBlobPath(digest: Digest): string {
  const hex = digest.slice("sha256:".length);
  return join(
    stateDir,
    "registry",
    "data",
    "docker",
    "registry",
    "v2",
    "blobs",
    "sha256",
    hex.slice(0, 2),
    hex,
    "data",
  );
}

/** Flips one bit of one byte of a file: `at` is an offset (negative: from the end). */
export async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await readFile(path);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] as number) ^ 0x01;
  await writeFile(path, bytes);
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

export function metadataFor(migrationId: string): CheckpointMetadataInput {
  return {
    migrationId,
    name: `orders-${migrationId}`,
    workload: "orders",
    sourceNode: "node-a",
    criuVersion: "4.2",
    kernel: "6.18.0",
    arch: "amd64",
    cpuFlags: ["sse2"],
    memoryBytes: 1 << 20,
  };
}
