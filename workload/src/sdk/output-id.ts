import { OUTPUT_ID_HEADER } from "@shadow/contract";
import type { RecordMetadata } from "kafkajs";
import type { PendingOutput } from "../types.ts";

// Every output names the input it came from (the contract's output id), so a restored copy can
// tell which of the outputs it inherited unacknowledged are in the log already.
export { OUTPUT_ID_HEADER, outputId } from "@shadow/contract";

export function idOf(output: PendingOutput): string | undefined {
  return output.headers[OUTPUT_ID_HEADER];
}

/**
 * Per output partition, the base offset of the last acknowledged produce: everything this
 * process sent after it lies beyond, so reading back from there finds whatever it wrote but
 * never saw acknowledged. Kept in memory, so a checkpoint carries it.
 */
export class OutputMarks {
  private readonly marks = new Map<string, number>();

  record(acked: readonly RecordMetadata[]): void {
    for (const { topicName, partition, baseOffset } of acked) {
      if (baseOffset === undefined) continue;
      const key = `${topicName}/${partition}`;
      this.marks.set(key, Math.max(this.marks.get(key) ?? 0, Number(baseOffset)));
    }
  }

  /** Where to start reading `topic/partition` back; undefined: from its beginning. */
  from(topic: string, partition: number): number | undefined {
    return this.marks.get(`${topic}/${partition}`);
  }
}
