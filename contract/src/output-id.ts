import type { PartitionOffset } from "./names.ts";

/**
 * The Kafka header every output carries: which input it came from and its place among that
 * input's outputs. A restored copy reads the output topics back from its last acknowledged
 * produce and drops the outputs it inherited unacknowledged whose ids are there already (its
 * last produce may have been written just before the dump).
 */
export const OUTPUT_ID_HEADER = "shadow-output-of";

/** `<topic>/<partition>/<offset>#<index>`; a dead letter's index is `dead-letter`. */
export function outputId(input: PartitionOffset, index: number | string): string {
  return `${input.topic}/${input.partition}/${input.offset}#${index}`;
}
