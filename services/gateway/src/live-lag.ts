import type { MigrationView } from "@shadow/migration";
import type { GatewayDeps } from "./deps.ts";

/** A status read must not hold up the answer: an instance busy replaying may not reply. */
const LAG_READ_TIMEOUT_MS = 500;

/**
 * A migration in its catch-up, with the shadow's lag behind the source as it is now. The log
 * has the lag only once the shadow caught up; a person watching a long catch-up (a large
 * image under load) wants to see it shrink. Asked for explicitly, because it costs a status
 * request to both instances, the serving source among them. Any other view, or a lag that
 * cannot be read in time, is answered as the log has it.
 */
export async function withLiveLag(
  view: MigrationView,
  deps: Pick<GatewayDeps, "lagNow" | "now">,
): Promise<MigrationView> {
  if (!deps.lagNow || view.status !== "running" || view.phase !== "catch-up") return view;
  // The projection folds into this same object while the lag is read: answer the catch-up it
  // was asked about, not a fence the lag does not belong to.
  const asked = structuredClone(view);
  let timer: NodeJS.Timeout | undefined;
  try {
    const records = await Promise.race([
      deps.lagNow(view.handoff),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("lag read timed out")), LAG_READ_TIMEOUT_MS);
      }),
    ]);
    return { ...asked, liveLag: { records, at: deps.now().toISOString() } };
  } catch {
    return asked;
  } finally {
    clearTimeout(timer);
  }
}
