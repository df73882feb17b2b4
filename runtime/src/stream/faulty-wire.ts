/**
 * A fault on the dump stream's wire, for tests of what a target does with a stream that does
 * not arrive whole: `cut` ends it after `at` bytes, `flip` changes one bit of byte `at`. The
 * local runtime puts one on its wire when SHADOW_STREAM_FAULT says so (`cut:200000`,
 * `flip:150000`); nothing else ever does.
 */
export interface StreamFault {
  kind: "cut" | "flip";
  at: number;
}

export function parseStreamFault(text: string): StreamFault {
  const m = /^(cut|flip):(\d+)$/.exec(text);
  if (!m) throw new Error(`SHADOW_STREAM_FAULT must be cut:<byte> or flip:<byte>, not ${text}`);
  return { kind: m[1] as StreamFault["kind"], at: Number(m[2]) };
}

export function faultyWire(fault: StreamFault) {
  return async function* (bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    let seen = 0;
    for await (const chunk of bytes) {
      const piece = Buffer.from(chunk);
      if (seen + piece.length > fault.at) {
        if (fault.kind === "cut") {
          yield piece.subarray(0, fault.at - seen);
          return;
        }
        if (seen <= fault.at) piece[fault.at - seen] = (piece[fault.at - seen] as number) ^ 0x40;
      }
      seen += piece.length;
      yield piece;
    }
  };
}
