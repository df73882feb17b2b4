import type { Admin } from "kafkajs";
import { describe, expect, it } from "vitest";
import { topicOffsets } from "./topic-offsets.ts";

/** An admin whose offset requests fail with the given errors, in order, then answer. */
function adminFailing(errors: Error[]) {
  const calls = { offsets: 0, metadata: 0 };
  const admin = {
    fetchTopicOffsets: async () => {
      const error = errors[calls.offsets++];
      if (error) throw error;
      return [{ partition: 0, offset: "7", high: "7", low: "0" }];
    },
    fetchTopicMetadata: async () => {
      calls.metadata += 1;
      return { topics: [] };
    },
  } as unknown as Admin;
  return { admin, calls };
}

const notLeader = () =>
  Object.assign(new Error("This server is not the leader for that topic-partition"), {
    retriable: true,
  });

describe("topicOffsets", () => {
  it("asks again while the broker says 'not the leader', refreshing the metadata between", async () => {
    const { admin, calls } = adminFailing([notLeader(), notLeader()]);
    expect(await topicOffsets(admin, "t")).toEqual([
      { partition: 0, offset: "7", high: "7", low: "0" },
    ]);
    expect(calls).toEqual({ offsets: 3, metadata: 2 });
  });

  it("passes on an error that is not retriable at once", async () => {
    const { admin, calls } = adminFailing([new Error("topic authorization failed")]);
    await expect(topicOffsets(admin, "t")).rejects.toThrow("topic authorization failed");
    expect(calls.offsets).toBe(1);
  });

  it("gives up once the settle time has passed", async () => {
    const { admin } = adminFailing(Array.from({ length: 100 }, notLeader));
    await expect(topicOffsets(admin, "t", 250)).rejects.toThrow("not the leader");
  });
});
