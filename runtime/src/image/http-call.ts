import { Agent, type IncomingMessage, request } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * One HTTP/1.1 exchange over node:http with a keep-alive agent. Used instead of fetch for the
 * registry because fetch's web streams cost half the throughput on large blobs here
 * (measured on loopback, 100 MB: fetch GET ~500 ms vs node:http ~260 ms; PUT 1150 vs 450 ms).
 */

export interface HttpReply {
  status: number;
  header(name: string): string | undefined;
  /** The body as a byte stream; read it, or call `discard`, to free the connection. */
  body: IncomingMessage;
  bytes(): Promise<Buffer>;
  text(): Promise<string>;
  discard(): Promise<void>;
}

export type HttpBody = Uint8Array | AsyncIterable<Uint8Array> | undefined;

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export function httpCall(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: HttpBody,
  timeoutMs = 60_000,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => resolve(reply(res)));
    // Idle timeout (no bytes either way for this long), not a limit on the whole transfer.
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else
      pipeline(Readable.from(body, { objectMode: false }), req).catch((error) =>
        req.destroy(error),
      );
  });
}

function reply(res: IncomingMessage): HttpReply {
  const bytes = async () => {
    const parts: Buffer[] = [];
    for await (const chunk of res) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  };
  return {
    status: res.statusCode ?? 0,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
    body: res,
    bytes,
    text: async () => (await bytes()).toString("utf8"),
    discard: async () => {
      res.resume();
      if (!res.complete) await new Promise((done) => res.once("end", done).once("error", done));
    },
  };
}
