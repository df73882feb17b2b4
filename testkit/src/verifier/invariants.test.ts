import { describe, expect, it } from "vitest";
import type { OutputMessage } from "../messages.ts";
import { checkBalances, checkOutSeq } from "./invariants.ts";

const out = (seq: number, key: string, keySeq: number, outSeq: number, balance: number) =>
  ({
    run: "r",
    seq,
    key,
    keySeq,
    sentAt: 0,
    processedAt: 0,
    instance: "a",
    outSeq,
    outKeySeq: keySeq + 1,
    balance,
  }) as OutputMessage;

describe("the example's invariants", () => {
  it("checks each balance against its key's amounts so far", () => {
    const inputs = [
      { key: "k0", keySeq: 0, amount: 5 },
      { key: "k0", keySeq: 1, amount: -2 },
      { key: "k1", keySeq: 0, amount: 7 },
    ];
    expect(checkBalances(inputs, [out(0, "k0", 0, 1, 5), out(1, "k0", 1, 2, 3)]).wrong).toBe(0);
    const wrong = checkBalances(inputs, [out(1, "k0", 1, 2, 5), out(2, "k1", 0, 3, 7)]);
    expect(wrong).toEqual({ wrong: 1, byKey: { k0: [1] } });
  });

  it("finds an outSeq given twice and one skipped, as a handover in another interleaving does", () => {
    expect(
      checkOutSeq([out(0, "k0", 0, 1, 1), out(1, "k1", 0, 2, 1), out(2, "k0", 1, 3, 2)]),
    ).toEqual({ repeated: 0, skipped: 0, inconsistent: 0, examples: [] });
    // The shadow counted seq 2 as the 2nd output (the source had given 2 to seq 1), then 4.
    const broken = checkOutSeq([
      out(0, "k0", 0, 1, 1),
      out(1, "k1", 0, 2, 1),
      out(2, "k0", 1, 2, 2),
      out(3, "k1", 1, 4, 2),
    ]);
    expect(broken).toMatchObject({ repeated: 1, skipped: 1 });
    // A duplicate must repeat its number.
    expect(checkOutSeq([out(0, "k0", 0, 1, 1), out(0, "k0", 0, 2, 1)]).inconsistent).toBe(1);
  });
});
