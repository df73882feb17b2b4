import OffsetManager from "kafkajs/src/consumer/offsetManager/index.js";
import { describe, expect, it } from "vitest";
import { coordinatorGone, mendCoordinatorLookup } from "./kafkajs-coordinator.ts";

/** A broker as kafkajs' OffsetManager talks to it: its commits answered as told. */
function broker(nodeId: number, answer: () => Promise<void>) {
  const commits: unknown[] = [];
  return {
    nodeId,
    commits,
    isConnected: () => true,
    offsetCommit: async (payload: unknown) => {
      commits.push(payload);
      await answer();
    },
  };
}

const notCoordinator = () =>
  Promise.reject(
    Object.assign(new Error("This is not the correct coordinator for this group"), {
      type: "NOT_COORDINATOR_FOR_GROUP",
    }),
  );

const offsets = { topics: [{ topic: "in", partitions: [{ partition: 0, offset: "8" }] }] };

/** kafkajs' own OffsetManager, holding `coordinator`, in a cluster whose lookup `find` answers. */
function offsetManager(options: {
  coordinator: unknown;
  groupId: string;
  find: (request: { groupId: string }) => Promise<unknown>;
}) {
  const Manager = OffsetManager as unknown as new (
    options: object,
  ) => {
    commitOffsets(o: object): Promise<void>;
    coordinator: unknown;
  };
  return new Manager({
    cluster: {
      committedOffsets: () => ({}),
      refreshMetadata: async () => {},
      findGroupCoordinator: options.find,
    },
    coordinator: options.coordinator,
    memberAssignment: { in: [0] },
    topicConfigurations: [],
    instrumentationEmitter: { emit: () => {} },
    groupId: options.groupId,
    generationId: 4,
    memberId: "m-1",
  });
}

describe("mendCoordinatorLookup", () => {
  it("sends the commit after a 'not the coordinator' to the node that now holds the group", async () => {
    mendCoordinatorLookup();
    // Node 2 came back after the group moved to node 3; kafkajs still holds node 2.
    const stale = broker(2, notCoordinator);
    const current = broker(3, async () => {});
    const lookups: string[] = [];
    const manager = offsetManager({
      coordinator: stale,
      groupId: "shadow.fence-svc.local",
      find: async ({ groupId }) => {
        lookups.push(groupId);
        return current;
      },
    });

    // The first attempt still fails (kafkajs' retry makes the next one)...
    await expect(manager.commitOffsets(offsets)).rejects.toThrow(/not the correct coordinator/);
    expect(lookups).toEqual(["shadow.fence-svc.local"]);
    expect(manager.coordinator).toBe(current);
    // ...and the next one reaches the coordinator, where before the mend it went to node 2 again.
    await manager.commitOffsets(offsets);
    expect(stale.commits).toHaveLength(1);
    expect(current.commits).toHaveLength(1);
  });

  it("leaves the coordinator alone on other errors", async () => {
    mendCoordinatorLookup();
    const node = broker(1, () =>
      Promise.reject(Object.assign(new Error("bad"), { type: "OFFSET_METADATA_TOO_LARGE" })),
    );
    let looked = false;
    const manager = offsetManager({
      coordinator: node,
      groupId: "g",
      find: async () => {
        looked = true;
        return node;
      },
    });
    await expect(manager.commitOffsets(offsets)).rejects.toThrow("bad");
    expect(looked).toBe(false);
  });

  it("tells a gone or moved coordinator from other failures", () => {
    expect(coordinatorGone({ type: "NOT_COORDINATOR_FOR_GROUP" })).toBe(true);
    expect(coordinatorGone({ name: "KafkaJSConnectionError" })).toBe(true);
    expect(coordinatorGone({ type: "REBALANCE_IN_PROGRESS" })).toBe(false);
    expect(coordinatorGone(new Error("x"))).toBe(false);
    expect(coordinatorGone(undefined)).toBe(false);
  });
});
