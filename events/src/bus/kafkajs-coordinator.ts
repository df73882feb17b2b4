import ConsumerGroup from "kafkajs/src/consumer/consumerGroup.js";
import OffsetManager from "kafkajs/src/consumer/offsetManager/index.js";

/**
 * Makes kafkajs 2.2.4 look its group's coordinator up again when the one it knows fails it.
 *
 * Why: kafkajs finds a consumer group's coordinator when it joins and keeps that node for
 * heartbeats and commits until the next join. When the node dies, or comes back after another
 * node took the group over, every heartbeat and commit goes to it again (a commit is retried
 * there 30 times, 2 s apart) and gets "connection refused" or "This is not the correct
 * coordinator for this group"; the consumer rejoins only when those retries run out. Seen in
 * the chaos tests on a three-node cluster: a source's fence, which waits for its commit, took
 * 28 s after the coordinator's node was killed, and checkpoint-svc left a migration untouched for
 * 62 s after the node came back. The same fault is reported against kafkajs (issue #1152) and
 * has no release with a fix: kafkajs has had none since 2023.
 *
 * The mend: when a heartbeat or a commit fails because the coordinator is gone or moved, ask the
 * cluster for the coordinator (FindCoordinator) before the error goes on, so kafkajs' own retry
 * reaches the node that now holds the group. Everything else stays kafkajs' own: a member the
 * new coordinator no longer knows is told so and joins again, as kafkajs does on that error.
 */
export function mendCoordinatorLookup(): void {
  if (mended) return;
  mended = true;
  wrap(OffsetManager.prototype, "commitOffsets", relocate);
  wrap(ConsumerGroup.prototype, "heartbeat", async (holder) => {
    await relocate(holder);
    // The group's offset manager was given the same node when it was made.
    const offsets = (holder as { offsetManager?: Holder }).offsetManager;
    if (offsets && holder.coordinator) offsets.coordinator = holder.coordinator;
  });
}

let mended = false;

/** What kafkajs' ConsumerGroup and OffsetManager hold that the mend uses. */
interface Holder {
  groupId: string;
  coordinator: unknown;
  cluster: { findGroupCoordinator(options: { groupId: string }): Promise<unknown> };
}

/** Errors that say the coordinator kafkajs holds is not the group's any more, or not there. */
export function coordinatorGone(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { type, name } = error as { type?: unknown; name?: unknown };
  return (
    type === "NOT_COORDINATOR_FOR_GROUP" ||
    type === "GROUP_COORDINATOR_NOT_AVAILABLE" ||
    name === "KafkaJSConnectionError" ||
    name === "KafkaJSConnectionClosedError" ||
    name === "KafkaJSRequestTimeoutError" ||
    name === "KafkaJSBrokerNotFound"
  );
}

async function relocate(holder: Holder): Promise<void> {
  try {
    holder.coordinator = await holder.cluster.findGroupCoordinator({ groupId: holder.groupId });
  } catch {
    // No coordinator yet (the cluster is still electing one): the next failure asks again.
  }
}

function wrap(
  prototype: Record<string, unknown>,
  method: string,
  onGone: (holder: Holder) => Promise<void>,
): void {
  const original = prototype[method];
  if (typeof original !== "function") {
    throw new Error(`kafkajs has no ${method} to mend: not the kafkajs 2.2.4 this was written for`);
  }
  prototype[method] = async function (this: Holder, ...args: unknown[]) {
    try {
      return await original.apply(this, args);
    } catch (error) {
      if (coordinatorGone(error)) await onGone(this);
      throw error;
    }
  };
}
