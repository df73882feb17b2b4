import type { HandleContext, InputRecord, Output, ServiceDefinition } from "../src/types.ts";

/** The input records the bench feeds: the load generator's shape. */
export interface BenchInput {
  run: string;
  seq: number;
  key: string;
  keySeq: number;
  sentAt: number;
  amount: number;
}

/**
 * A service as cheap as the example's with no processing cost: parse the record, add its
 * amount to the key's balance, emit one output naming the instance. The SDK's benches need a
 * service and may not depend on the testkit's example (the testkit depends on the SDK).
 */
export function balances(): ServiceDefinition<Map<string, number>> {
  return {
    initialState: () => new Map(),
    handle(state, record: InputRecord, context: HandleContext): Output[] {
      const input = JSON.parse(String(record.value)) as BenchInput;
      if (typeof input.key !== "string" || typeof input.amount !== "number")
        throw new Error("not a bench input");
      const balance = (state.get(input.key) ?? 0) + input.amount;
      state.set(input.key, balance);
      const { instance, node } = context.identity;
      const output = { ...input, processedAt: Date.now(), instance, node, balance };
      return [{ key: input.key, value: JSON.stringify(output) }];
    },
  };
}
