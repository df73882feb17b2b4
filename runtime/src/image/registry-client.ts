import { createReadStream } from "node:fs";
import { ImageIntegrityError, RegistryUnavailableError, RuntimeError } from "../errors.ts";
import { type Digest, sha256 } from "./digest.ts";
import { type HttpBody, type HttpReply, httpCall } from "./http-call.ts";
import { MediaType } from "./media-types.ts";

/**
 * A client of the OCI distribution HTTP API (distribution-spec v1.1) for the registry on
 * loopback: blob upload (POST, then one PUT, or PATCH chunks and a closing PUT), HEAD to skip
 * blobs the registry already has, manifests by tag or digest, and DELETE for retention.
 * Plain HTTP: the registry listens on 127.0.0.1 only and the content is verified by digest
 * (and encrypted) anyway.
 */

export interface BlobSource {
  digest: Digest;
  size: number;
  /** Where the bytes are: a file (streamed) or memory. */
  from: { path: string } | { bytes: Uint8Array };
}

export interface PushBlobOptions {
  /** Blobs larger than this go up in PATCH chunks of this size; smaller ones in one PUT. */
  chunkBytes?: number;
}

export const DEFAULT_UPLOAD_CHUNK_BYTES = 64 << 20;
const MANIFEST_ACCEPT = [MediaType.manifest, MediaType.index].join(", ");

export class RegistryClient {
  readonly base: string;

  /** @param host `127.0.0.1:5000` */
  constructor(readonly host: string) {
    this.base = `http://${host}`;
  }

  async ping(): Promise<boolean> {
    try {
      const res = await this.request("GET", "/v2/", {});
      await res.discard();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async hasBlob(repository: string, digest: Digest): Promise<boolean> {
    const res = await this.request("HEAD", `/v2/${repository}/blobs/${digest}`, {});
    // Even a bodiless reply must be consumed, or its socket never returns to the agent.
    await res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.unexpected(res, `HEAD blob ${digest}`);
  }

  /** Uploads a blob; returns false when the registry already had it. */
  async pushBlob(
    repository: string,
    blob: BlobSource,
    options: PushBlobOptions = {},
  ): Promise<boolean> {
    if (await this.hasBlob(repository, blob.digest)) return false;
    const chunk = options.chunkBytes ?? DEFAULT_UPLOAD_CHUNK_BYTES;
    const started = await this.request("POST", `/v2/${repository}/blobs/uploads/`, {});
    if (started.status !== 202) throw await this.unexpected(started, "start upload");
    let location = this.location(started);
    await started.discard();

    if (blob.size > chunk) {
      for (let offset = 0; offset < blob.size; offset += chunk) {
        const end = Math.min(offset + chunk, blob.size) - 1;
        const res = await this.request("PATCH", location, {
          body: slice(blob, offset, end),
          headers: {
            "content-type": "application/octet-stream",
            "content-length": String(end - offset + 1),
            "content-range": `${offset}-${end}`,
          },
        });
        if (res.status !== 202) throw await this.unexpected(res, `upload chunk at ${offset}`);
        location = this.location(res);
        await res.discard();
      }
    }
    const url = new URL(location, this.base);
    url.searchParams.set("digest", blob.digest);
    const whole = blob.size <= chunk;
    const done = await this.request("PUT", url.toString(), {
      body: whole ? slice(blob, 0, blob.size - 1) : undefined,
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(whole ? blob.size : 0),
      },
    });
    if (done.status !== 201) throw await this.unexpected(done, `finish upload of ${blob.digest}`);
    await done.discard();
    return true;
  }

  async putManifest(
    repository: string,
    tag: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<Digest> {
    const res = await this.request("PUT", `/v2/${repository}/manifests/${tag}`, {
      body: bytes,
      headers: { "content-type": mediaType },
    });
    if (res.status !== 201) throw await this.unexpected(res, `PUT manifest ${repository}:${tag}`);
    await res.discard();
    const digest = sha256(bytes);
    const said = res.header("docker-content-digest");
    if (said && said !== digest) {
      throw new ImageIntegrityError(
        `${this.host}/${repository}:${tag}`,
        `registry stored manifest as ${said}, we sent ${digest}`,
      );
    }
    return digest;
  }

  /** The manifest's bytes, or undefined when the registry does not know the reference. */
  async getManifest(
    repository: string,
    reference: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest?: string } | undefined> {
    const res = await this.request("GET", `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    if (res.status === 404) {
      await res.discard();
      return undefined;
    }
    if (res.status !== 200)
      throw await this.unexpected(res, `GET manifest ${repository}:${reference}`);
    const bytes = await res.bytes();
    const digest = res.header("docker-content-digest") ?? undefined;
    return { bytes, mediaType: res.header("content-type") ?? "", ...(digest && { digest }) };
  }

  /** The blob as a byte stream, or undefined when the registry does not have it. */
  async getBlob(
    repository: string,
    digest: Digest,
  ): Promise<AsyncIterable<Uint8Array> | undefined> {
    const res = await this.request("GET", `/v2/${repository}/blobs/${digest}`, {});
    if (res.status === 404) {
      await res.discard();
      return undefined;
    }
    if (res.status !== 200) throw await this.unexpected(res, `GET blob ${digest}`);
    return res.body;
  }

  /** Deletes a manifest by digest; true if it was there. Needs deletion enabled in the registry. */
  async deleteManifest(repository: string, digest: Digest): Promise<boolean> {
    return this.delete(`/v2/${repository}/manifests/${digest}`);
  }

  /** Unlinks a blob from a repository; the bytes go at the registry's next garbage collection. */
  async deleteBlob(repository: string, digest: Digest): Promise<boolean> {
    return this.delete(`/v2/${repository}/blobs/${digest}`);
  }

  private async delete(path: string): Promise<boolean> {
    const res = await this.request("DELETE", path, {});
    await res.discard();
    if (res.status === 202) return true;
    if (res.status === 404) return false;
    if (res.status === 405) {
      throw new RuntimeError(
        "REGISTRY_REJECTED",
        `registry ${this.host} has deletion disabled`,
        false,
      );
    }
    throw await this.unexpected(res, `DELETE ${path}`);
  }

  private location(res: HttpReply): string {
    const location = res.header("location");
    if (!location)
      throw new RuntimeError("REGISTRY_REJECTED", "upload response has no Location", false);
    return new URL(location, this.base).toString();
  }

  private async request(
    method: string,
    pathOrUrl: string,
    init: { body?: HttpBody; headers?: Record<string, string> },
  ): Promise<HttpReply> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${this.base}${pathOrUrl}`;
    try {
      return await httpCall(method, url, init.headers, init.body);
    } catch (error) {
      throw new RegistryUnavailableError(`registry ${this.host} unreachable (${method} ${url})`, {
        cause: error,
      });
    }
  }

  private async unexpected(res: HttpReply, what: string): Promise<Error> {
    const text = (await res.text().catch(() => "")).slice(0, 300);
    const message = `registry ${this.host}: ${what} answered ${res.status} ${text}`.trim();
    return res.status >= 500
      ? new RegistryUnavailableError(message)
      : new RuntimeError("REGISTRY_REJECTED", message, false);
  }
}

function slice(
  blob: BlobSource,
  start: number,
  end: number,
): AsyncIterable<Uint8Array> | Uint8Array {
  if ("bytes" in blob.from) return blob.from.bytes.subarray(start, end + 1);
  if (end < start) return new Uint8Array(0);
  return createReadStream(blob.from.path, { start, end, highWaterMark: 1 << 20 });
}
