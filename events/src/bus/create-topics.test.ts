import type { Admin, ITopicConfig } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createTopicsWithLeaders } from "./create-topics.ts";

/** An admin whose metadata first fails as a broker does for a topic it has just created. */
function adminAnsweringUnknownFirst(failures: number) {
  const created: { topics: ITopicConfig[]; waitForLeaders?: boolean }[] = [];
  let metadataCalls = 0;
  const admin = {
    async createTopics(request: { topics: ITopicConfig[]; waitForLeaders?: boolean }) {
      created.push(request);
      if (request.waitForLeaders !== false)
        throw new Error("This server does not host this topic-partition");
      return true;
    },
    async fetchTopicMetadata({ topics }: { topics: string[] }) {
      metadataCalls += 1;
      if (metadataCalls <= failures)
        throw new Error("This server does not host this topic-partition");
      return { topics: topics.map((name) => ({ name, partitions: [{ leader: 1 }] })) };
    },
  };
  return { admin: admin as unknown as Admin, created, calls: () => metadataCalls };
}

describe("createTopicsWithLeaders", () => {
  it("waits through a broker that does not know the new topic yet", async () => {
    const fake = adminAnsweringUnknownFirst(2);
    await createTopicsWithLeaders(fake.admin, [{ topic: "t", numPartitions: 1 }], 5_000);
    expect(fake.created).toEqual([
      { topics: [{ topic: "t", numPartitions: 1 }], waitForLeaders: false },
    ]);
    expect(fake.calls()).toBe(3);
  });

  it("gives up at its deadline with the broker's last error as the cause", async () => {
    const fake = adminAnsweringUnknownFirst(Number.POSITIVE_INFINITY);
    const failed = await createTopicsWithLeaders(fake.admin, [{ topic: "t" }], 250).catch(
      (error: Error) => error,
    );
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toBe("topics t have no leader after 250 ms");
    expect(((failed as Error).cause as Error).message).toContain("does not host");
  });
});
