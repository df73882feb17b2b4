/**
 * Writes a CRIU pagemap image (the format pagemap.ts reads), for tests: the common and pagemap
 * magics, a pagemap_head, then one pagemap_entry per run.
 */
export function encodePagemap(
  pagesId: number,
  runs: Array<{ vaddr: bigint; pages: number; flags: number }>,
): Buffer {
  const varint = (value: bigint): number[] => {
    const out: number[] = [];
    let v = value;
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v > 0n ? byte | 0x80 : byte);
    } while (v > 0n);
    return out;
  };
  const field = (number: number, value: bigint) => [
    ...varint(BigInt(number << 3)),
    ...varint(value),
  ];
  const entry = (bytes: number[]) => {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    return Buffer.concat([length, Buffer.from(bytes)]);
  };
  const magics = Buffer.alloc(8);
  magics.writeUInt32LE(0x54564319, 0);
  magics.writeUInt32LE(0x56084025, 4);
  return Buffer.concat([
    magics,
    entry(field(1, BigInt(pagesId))),
    ...runs.map((r) =>
      entry([...field(1, r.vaddr), ...field(2, BigInt(r.pages)), ...field(4, BigInt(r.flags))]),
    ),
  ]);
}
