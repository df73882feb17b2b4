import type { OutputMessage } from "../messages.ts";

/** The example's promise per key: each output's balance is the sum of its key's amounts so far. */
export interface BalanceCheck {
  /** Outputs whose balance is not the sum of their key's amounts up to their input. */
  wrong: number;
  /** Per key, the per-key sequence numbers concerned (at most 20 each). */
  byKey: Record<string, number[]>;
}

/**
 * The example's promise across the workload: `outSeq` counts its outputs, continuous across a
 * handover. Every input's output (duplicates included) must carry one number, no number may be
 * given to two inputs, and none between the lowest and the highest may be missing.
 */
export interface OutSeqCheck {
  /** Numbers given to outputs of more than one input. */
  repeated: number;
  /** Numbers between the lowest and the highest that no output carries. */
  skipped: number;
  /** Outputs of one input that carry different numbers (a copy that counted otherwise). */
  inconsistent: number;
  /** A few of the numbers concerned, to look them up. */
  examples: number[];
}

interface KeyedAmount {
  key: string;
  keySeq: number;
  amount: number;
}

/** Checks every first output's balance against the prefix sums of its key's valid inputs. */
export function checkBalances(
  inputs: Iterable<KeyedAmount>,
  outputs: Iterable<OutputMessage>,
): BalanceCheck {
  const amounts = new Map<string, Map<number, number>>();
  for (const i of inputs) {
    const own = amounts.get(i.key) ?? new Map<number, number>();
    own.set(i.keySeq, i.amount);
    amounts.set(i.key, own);
  }
  const prefix = new Map<string, Map<number, number>>();
  for (const [key, own] of amounts) {
    let sum = 0;
    const sums = new Map<number, number>();
    for (const keySeq of [...own.keys()].sort((a, b) => a - b)) {
      sum += own.get(keySeq) ?? 0;
      sums.set(keySeq, sum);
    }
    prefix.set(key, sums);
  }
  const check: BalanceCheck = { wrong: 0, byKey: {} };
  for (const o of outputs) {
    if (prefix.get(o.key)?.get(o.keySeq) === o.balance) continue;
    check.wrong += 1;
    const list = check.byKey[o.key] ?? [];
    if (list.length < 20) list.push(o.keySeq);
    check.byKey[o.key] = list;
  }
  return check;
}

/** Checks `outSeq` over every output record of the run (a duplicate must repeat its number). */
export function checkOutSeq(outputs: Iterable<OutputMessage>): OutSeqCheck {
  const bySeq = new Map<number, number>();
  const byOutSeq = new Map<number, number>();
  const check: OutSeqCheck = { repeated: 0, skipped: 0, inconsistent: 0, examples: [] };
  const note = (n: number) => {
    if (check.examples.length < 20) check.examples.push(n);
  };
  for (const o of outputs) {
    const known = bySeq.get(o.seq);
    if (known !== undefined) {
      if (known !== o.outSeq) {
        check.inconsistent += 1;
        note(o.outSeq);
      }
      continue;
    }
    bySeq.set(o.seq, o.outSeq);
    const owner = byOutSeq.get(o.outSeq);
    if (owner !== undefined && owner !== o.seq) {
      check.repeated += 1;
      note(o.outSeq);
    } else byOutSeq.set(o.outSeq, o.seq);
  }
  const numbers = [...byOutSeq.keys()].sort((a, b) => a - b);
  for (let i = 1; i < numbers.length; i++) {
    const gap = (numbers[i] ?? 0) - (numbers[i - 1] ?? 0) - 1;
    if (gap > 0) {
      check.skipped += gap;
      note((numbers[i - 1] ?? 0) + 1);
    }
  }
  return check;
}
