import { type Digest, isDigest } from "../image/digest.ts";

/**
 * Names a streamed dump, as one string carried by CheckpointImageReady:
 *
 *   stream://<source node>/<checkpoint id>@sha256:<index>[?pages=<host>:<port>]
 *
 * The index digest is the stream's (format.ts); `pages` names the page source serving its lazy
 * pages when the restore is post-copy.
 */
export interface StreamRef {
  node: string;
  checkpointId: string;
  index: Digest;
  pageSource?: { host: string; port: number } | undefined;
}

const PREFIX = "stream://";
const RE =
  /^stream:\/\/([a-z0-9][a-z0-9.-]*)\/([A-Za-z0-9._-]+)@(sha256:[0-9a-f]{64})(?:\?pages=([0-9.]+):(\d{1,5}))?$/;

export function isStreamRef(ref: string): boolean {
  return ref.startsWith(PREFIX);
}

export function formatStreamRef(ref: StreamRef): string {
  const pages = ref.pageSource ? `?pages=${ref.pageSource.host}:${ref.pageSource.port}` : "";
  return `${PREFIX}${ref.node}/${ref.checkpointId}@${ref.index}${pages}`;
}

export function parseStreamRef(text: string): StreamRef {
  const m = RE.exec(text);
  if (!m || !isDigest(m[3] as string)) throw new Error(`not a dump stream reference: ${text}`);
  return {
    node: m[1] as string,
    checkpointId: m[2] as string,
    index: m[3] as Digest,
    pageSource: m[4] ? { host: m[4], port: Number(m[5]) } : undefined,
  };
}
