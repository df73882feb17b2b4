/** The label (or annotation) a workload opts out with: `shadow.io/migrate: "never"`. */
export const MIGRATE_LABEL = "shadow.io/migrate";
/** Karpenter's own opt-out, honoured as well. */
export const DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";

/**
 * Why a workload must never be moved without being asked by name (by pressure-svc's policy, or
 * in answer to an eviction), or undefined when it may. Labels and annotations both count.
 */
export function optOutOf(labels: Record<string, string>): string | undefined {
  if (labels[MIGRATE_LABEL] === "never") return `opted out (${MIGRATE_LABEL}: never)`;
  if (labels[DO_NOT_DISRUPT] === "true") return `opted out (${DO_NOT_DISRUPT}: true)`;
  return undefined;
}
