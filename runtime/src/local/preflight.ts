import { PreflightError } from "../errors.ts";
import { type CheckpointMetadata, localTargetFacts, preflightReasons } from "../image/index.ts";

/**
 * Refuses a restore the target cannot run, with every reason (CRIU and kernel versions, CPU
 * flags, architecture, free memory and disk: the policy is image/preflight.ts). Local nodes
 * share one kernel and CPU, so on one machine only memory and disk really differ; the checks
 * are the ones a second machine needs all the same.
 */
export async function checkPreflight(
  metadata: CheckpointMetadata,
  target: { node: string; stateDir: string; criu: string },
  migrationId: string | undefined,
): Promise<void> {
  const facts = await localTargetFacts(target.node, target.stateDir, target.criu);
  const reasons = preflightReasons(metadata, facts);
  if (reasons.length > 0) throw new PreflightError(reasons, { migrationId });
}
