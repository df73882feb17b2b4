import type { CheckpointImage, ImageTransfer } from "./types.ts";

/**
 * The port's rule for how an image reaches its target: not at all when it was built there (an
 * identity swap's second round restores on the node it checkpointed), else as requested.
 */
export function deliveryOf(
  builtOn: string,
  targetNode: string,
  requested: ImageTransfer,
): CheckpointImage["transfer"] {
  return builtOn === targetNode ? "same-node" : requested;
}
