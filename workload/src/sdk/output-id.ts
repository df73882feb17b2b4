import type { RecordMetadata } from "kafkajs";
import type { PartitionOffset, PendingOutput } from "../types.ts";

/**
 * Every output names the input it came from and its place among that input's outputs, so a
 * restored copy can tell which of the outputs it inherited unacknowledged are in the log
 * already (its last produce may have been written just before the dump).
 */
export const OUTPUT_ID_HEADER = "shadow-output-of";

export function outputId(input: PartitionOffset, index: number | string): string {
  return `${input.topic}/${input.partition}/${input.offset}#${index}`;
}

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
