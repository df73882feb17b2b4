import { z } from "zod";
import { isDigest } from "./digest.ts";

/**
 * The OCI documents a checkpoint image is made of (image-spec v1.1: descriptor, manifest,
 * image config, index). Parsed with zod at the boundary, where bytes come from disk or the
 * registry; unknown fields pass through, as the spec asks of readers.
 */

const digestSchema = z.string().refine(isDigest, "not a sha256 digest");
const annotationsSchema = z.record(z.string(), z.string());

export const descriptorSchema = z.looseObject({
  mediaType: z.string(),
  digest: digestSchema,
  size: z.number().int().nonnegative(),
  annotations: annotationsSchema.optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const manifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: annotationsSchema.optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const imageConfigSchema = z.looseObject({
  created: z.string().optional(),
  architecture: z.string(),
  os: z.string(),
  config: z.looseObject({ Labels: annotationsSchema.optional() }).optional(),
  rootfs: z.object({ type: z.literal("layers"), diff_ids: z.array(digestSchema) }),
  history: z.array(z.looseObject({})).optional(),
});
export type ImageConfig = z.infer<typeof imageConfigSchema>;

export const indexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
});
export type ImageIndex = z.infer<typeof indexSchema>;

/** Canonical bytes of a JSON document: the exact bytes whose digest names it. */
export function jsonBytes(document: unknown): Buffer {
  return Buffer.from(JSON.stringify(document), "utf8");
}

/** Go's GOARCH names, which OCI uses, from Node's `process.arch`. */
export function ociArch(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" };
  return names[arch] ?? arch;
}
