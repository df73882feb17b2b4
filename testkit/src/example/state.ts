import { TerminalError } from "@shadow/events";
import type { HandleContext, InputRecord, Output, ServiceDefinition } from "@shadow/workload";
import { inputMessage, type OutputMessage, parseRecord } from "../messages.ts";

export interface Account {
  balance: number;
  /** Inputs applied to this key, which is also its output sequence. */
  count: number;
  lastKeySeq: number;
}

/** Account balances per key, the service's output count, and the ballast. */
export interface ExampleState {
  accounts: Map<string, Account>;
  outputs: number;
  ballast: Buffer[];
}

const MB = 1024 * 1024;

/**
 * Memory the service holds beyond its balances: 1 MB chunks, each filled with a pattern so
 * every page is really written (a zero-filled allocation may stay unbacked and would make a
 * checkpoint look cheaper than it is).
 */
export function makeBallast(megabytes: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < megabytes; i++) chunks.push(Buffer.allocUnsafe(MB).fill((i % 251) + 1));
  return chunks;
}

export interface Cost {
  ms: number;
  mode: "sleep" | "busy";
}

async function spend(cost: Cost): Promise<void> {
  if (cost.ms <= 0) return;
  if (cost.mode === "sleep") {
    await new Promise((resolve) => setTimeout(resolve, cost.ms));
    return;
  }
  const until = performance.now() + cost.ms;
  while (performance.now() < until) {
    // burn the CPU on purpose: a compute-bound service
  }
}

/**
 * The example's service definition: validate, pay the processing cost, then apply the
 * amount to the key's balance and emit one output. State changes only after the cost, so a
 * checkpoint taken during the wait sees the record either wholly applied or not at all.
 */
export function exampleService(options: {
  cost: Cost;
  ballastMb: number;
}): ServiceDefinition<ExampleState> {
  return {
    initialState: () => ({
      accounts: new Map(),
      outputs: 0,
      ballast: makeBallast(options.ballastMb),
    }),

    async handle(
      state: ExampleState,
      record: InputRecord,
      context: HandleContext,
    ): Promise<Output[]> {
      const parsed = parseRecord(inputMessage, record.value);
      if (!parsed.ok) throw new TerminalError(parsed.reason, { code: "invalid-record" });
      const input = parsed.value;
      await spend(options.cost);
      // Read after the cost: a checkpoint taken during it is finished by the restored copy.
      const { instance, node } = context.identity;
      const account = state.accounts.get(input.key) ?? { balance: 0, count: 0, lastKeySeq: -1 };
      account.balance += input.amount;
      account.count += 1;
      account.lastKeySeq = input.keySeq;
      state.accounts.set(input.key, account);
      state.outputs += 1;
      const output: OutputMessage = {
        run: input.run,
        seq: input.seq,
        key: input.key,
        keySeq: input.keySeq,
        sentAt: input.sentAt,
        processedAt: Date.now(),
        instance,
        node,
        outSeq: state.outputs,
        outKeySeq: account.count,
        balance: account.balance,
      };
      return [{ key: input.key, value: JSON.stringify(output) }];
    },

    cloneState: (state) => ({
      accounts: new Map([...state.accounts].map(([key, account]) => [key, { ...account }])),
      outputs: state.outputs,
      ballast: state.ballast.map((chunk) => Buffer.from(chunk)),
    }),
  };
}

/** What `GET /state` shows: balances and sizes, not the ballast bytes. */
export function describeState(state: ExampleState) {
  return {
    outputs: state.outputs,
    keys: state.accounts.size,
    ballastBytes: state.ballast.length * MB,
    accounts: Object.fromEntries(state.accounts),
  };
}
