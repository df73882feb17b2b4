import {
  decodeRecord,
  type EventGate,
  type GateVerdict,
  type IncomingEvent,
  type RecordPosition,
  readLog,
  topicOffsets,
  topics,
  validateEvent,
} from "@shadow/events";
import type { Judgement, LogLedger } from "@shadow/migration";
import type { Logger } from "@shadow/otel/logger";
import type { Kafka, KafkaMessage } from "kafkajs";

function verdictOf(judgement: Judgement): GateVerdict {
  switch (judgement.kind) {
    case "act":
      return { act: true };
    case "stale":
      return { act: false, stale: judgement.reason, ended: judgement.ended };
    case "invalid":
      return { act: false, invalid: { code: judgement.code, reason: judgement.reason } };
  }
}

/** The valid event in a raw record of the migrations log, if it holds one. */
function eventIn(message: KafkaMessage): IncomingEvent | undefined {
  const decoded = decodeRecord(message);
  if (!decoded.ok) return undefined;
  const valid = validateEvent(decoded.event);
  return valid.ok ? valid.event : undefined;
}

/**
 * The bus's gate for a service: the ledger of the migrations log, folded in the order the
 * service's own consumer reads it, so its handlers act only on what the log says is live.
 *
 * The ledger must hold every record before the one judged. `start` folds each partition up to
 * the service's committed offset before its consumer runs; a record that is not the next one a
 * partition expects (a partition that came from another member of the group, a record handed
 * over again after a rebalance) has its partition folded again from the start up to it.
 */
export class LedgerGate implements EventGate {
  constructor(
    private readonly kafka: Kafka,
    private readonly ledger: LogLedger,
    private readonly logger: Logger,
  ) {}

  /**
   * Folds the migrations log up to the group's committed offsets, and notes the verdicts that
   * lie beyond them: records this service will see again, whose requests were answered already.
   */
  async start(groupId: string): Promise<void> {
    const started = performance.now();
    const admin = this.kafka.admin();
    await admin.connect();
    const committed = new Map<number, bigint>();
    const until = new Map<number, bigint>();
    try {
      const [group] = await admin.fetchOffsets({ groupId, topics: [topics.migrations] });
      for (const { partition, offset } of group?.partitions ?? []) {
        if (offset !== "-1") committed.set(partition, BigInt(offset));
      }
      for (const { partition, high, low } of await topicOffsets(admin, topics.migrations)) {
        until.set(partition, BigInt(high));
        // Without a commit the consumer starts at the log's end (see initGroupOffsets).
        if (!committed.has(partition)) committed.set(partition, BigInt(high));
        if ((committed.get(partition) ?? 0n) < BigInt(low)) committed.set(partition, BigInt(low));
      }
    } finally {
      await admin.disconnect();
    }
    let folded = 0;
    await readLog(this.kafka, topics.migrations, until, (partition, message) => {
      const event = eventIn(message);
      if (BigInt(message.offset) < (committed.get(partition) ?? 0n)) {
        if (event) this.ledger.apply(event, positionOf(partition, message));
        folded++;
      } else if (event) {
        this.ledger.noteVerdictAhead(event);
      }
    });
    for (const [partition, offset] of committed) this.ledger.mark(partition, offset.toString());
    this.logger.info(
      { folded, ms: Math.round(performance.now() - started) },
      "migrations log folded up to the group's offsets",
    );
  }

  async judge(event: IncomingEvent, position: RecordPosition): Promise<GateVerdict> {
    if (position.topic !== topics.migrations) return verdictOf(this.ledger.judgeOutside(event));
    await this.#follow(position);
    return verdictOf(this.ledger.apply(event, position));
  }

  async skip(position: RecordPosition): Promise<void> {
    if (position.topic !== topics.migrations) return;
    await this.#follow(position);
    this.ledger.mark(position.partition, (BigInt(position.offset) + 1n).toString());
  }

  /** Makes the partition's ledger hold everything before `position`. */
  async #follow(position: RecordPosition): Promise<void> {
    if (this.ledger.expects(position.partition, position.offset)) return;
    const { partition, offset } = position;
    this.logger.info({ partition, offset }, "folding a partition of the migrations log again");
    // Read first, then forget and fold in one synchronous step: what asks the ledger while the
    // log is read (restore-svc's catch-up watch asks every few ms whether its migration is
    // still live, and ends for good when it is not) must see the partition as it was, never
    // empty. A watch ended that way once left a migration at its catch-up until its deadline.
    const events: [IncomingEvent, ReturnType<typeof positionOf>][] = [];
    await readLog(this.kafka, topics.migrations, new Map([[partition, BigInt(offset)]]), (p, m) => {
      const event = eventIn(m);
      if (event) events.push([event, positionOf(p, m)]);
    });
    this.ledger.reset(partition);
    for (const [event, where] of events) this.ledger.apply(event, where);
    this.ledger.mark(partition, offset);
  }
}

function positionOf(partition: number, message: KafkaMessage) {
  return {
    partition,
    offset: message.offset,
    key: message.key == null ? null : message.key.toString(),
  };
}
