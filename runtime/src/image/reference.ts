import { type Digest, isDigest } from "./digest.ts";

/**
 * Where a checkpoint image lives, as one string:
 *
 * - `oci:<layout dir>[:<tag>][@sha256:<hex>]`: an OCI image layout on this machine (the
 *   node-to-node transfer; same syntax as skopeo's `oci:` transport);
 * - `<host>:<port>/<repository>[:<tag>][@sha256:<hex>]`: a registry (docker-style reference).
 *
 * A reference with a digest pins the exact manifest: pulls verify it, so refs handed between
 * services always carry one.
 */
export type ImageRef =
  | { kind: "layout"; dir: string; tag?: string | undefined; digest?: Digest | undefined }
  | {
      kind: "registry";
      host: string;
      repository: string;
      tag?: string | undefined;
      digest?: Digest | undefined;
    };

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPO_RE =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export class InvalidRefError extends Error {}

export function parseRef(text: string): ImageRef {
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.lastIndexOf("@");
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new InvalidRefError(`bad digest in image reference ${text}`);
    digest = d;
    rest = rest.slice(0, at);
  }
  if (rest.startsWith("oci:")) {
    const path = rest.slice(4);
    const colon = path.lastIndexOf(":");
    const tag = colon > path.lastIndexOf("/") ? path.slice(colon + 1) : undefined;
    const dir = tag === undefined ? path : path.slice(0, colon);
    if (!dir.startsWith("/"))
      throw new InvalidRefError(`layout reference needs an absolute path: ${text}`);
    if (tag !== undefined && !TAG_RE.test(tag)) throw new InvalidRefError(`bad tag in ${text}`);
    if (tag === undefined && digest === undefined)
      throw new InvalidRefError(`no tag or digest in ${text}`);
    return { kind: "layout", dir, tag, digest };
  }
  const slash = rest.indexOf("/");
  if (slash === -1) throw new InvalidRefError(`image reference has no registry host: ${text}`);
  const host = rest.slice(0, slash);
  let repository = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = repository.lastIndexOf(":");
  if (colon !== -1) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidRefError(`bad tag in ${text}`);
  }
  if (!REPO_RE.test(repository)) throw new InvalidRefError(`bad repository name in ${text}`);
  if (tag === undefined && digest === undefined)
    throw new InvalidRefError(`no tag or digest in ${text}`);
  return { kind: "registry", host, repository, tag, digest };
}

export function formatRef(ref: ImageRef): string {
  const tag = ref.tag === undefined ? "" : `:${ref.tag}`;
  const digest = ref.digest === undefined ? "" : `@${ref.digest}`;
  return ref.kind === "layout"
    ? `oci:${ref.dir}${tag}${digest}`
    : `${ref.host}/${ref.repository}${tag}${digest}`;
}

/** A repository path component or tag from free text (a migration id, an instance name). */
export function sanitizeName(text: string): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return clean.slice(0, 100) || "x";
}
