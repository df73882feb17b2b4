/**
 * A commit that did not finish in time: thrown from a record's handling so that kafkajs joins
 * the group again.
 *
 * Why: kafkajs 2.2.4 keeps the node it found as the group's coordinator for as long as it can
 * connect to it, and retries a failed commit against that node (30 times, 2 s apart, with the
 * project's consumer settings). After the coordinator's node died and came back, the group's
 * coordinator lives on another node; every retry got "This is not the correct coordinator for
 * this group" from the old one, and the service consumed nothing for 100 s (seen in a chaos
 * run: checkpoint-svc left a migration untouched for 62 s). kafkajs looks the coordinator up
 * again only when it joins the group, and its runner joins again when a record's handling fails
 * with a rebalancing error: `type` is what it checks.
 */
export class CommitStalled extends Error {
  readonly type = "NOT_COORDINATOR_FOR_GROUP";

  constructor(
    readonly groupId: string,
    readonly waitedMs: number,
  ) {
    super(`${groupId}: offset commit not done within ${waitedMs} ms; joining the group again`);
    this.name = "CommitStalled";
  }
}

/**
 * Runs `commit`, and throws CommitStalled when it has not settled within `timeoutMs`. The
 * commit is left to finish or fail in the background: a late success only stores an offset
 * whose record was handled, and the record is read again after the join (handlers are safe
 * against a replay).
 */
export async function commitWithin(
  commit: () => Promise<void>,
  timeoutMs: number,
  groupId: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const pending = commit();
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CommitStalled(groupId, timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([pending, stalled]);
  } catch (error) {
    pending.catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
