import { TerminalError } from "@shadow/events";
import { z } from "zod";

/**
 * What a service's state may hold across partitions, as its definition declares it:
 * - `none`: state is kept per key or per partition only (a key's records all lie in one
 *   partition); any handler is fine.
 * - `commutative`: some state spans partitions, but the same records applied in any interleaving
 *   that keeps each partition's order leave it the same (counts, sums, sets, maxima).
 *
 * A shadow replays partitions in another interleaving than its source did. It never processes
 * past its source's committed progress (nor past the cut until it reached the cut everywhere),
 * so it applies exactly the records the source applied before the cut; under either
 * declaration its state at the cut is the source's. State whose value depends on the order
 * between partitions ("the last key seen", a list appended from every partition) cannot be
 * handed over that way, and is refused.
 */
export const stateAcrossPartitions = z.enum(["none", "commutative"]);
export type StateAcrossPartitions = z.infer<typeof stateAcrossPartitions>;

/** A service definition the SDK cannot hand over with its state intact: refused at start-up. */
export class UnsupportedStateError extends TerminalError {
  constructor(declared: unknown) {
    super(
      `stateAcrossPartitions must be "none" or "commutative" (got ${JSON.stringify(declared)}): ` +
        "state that depends on the order between partitions would differ in a migrated copy. " +
        "Keep it per key or per partition, make it order-independent, or read it from a " +
        "single-partition input",
      { code: "unsupported-state" },
    );
    this.name = "UnsupportedStateError";
  }
}

/** Checks the declaration at start-up; throws UnsupportedStateError for anything else. */
export function checkStateModel(declared: unknown): StateAcrossPartitions {
  const parsed = stateAcrossPartitions.safeParse(declared);
  if (!parsed.success) throw new UnsupportedStateError(declared);
  return parsed.data;
}
