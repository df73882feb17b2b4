import { describe, expect, it } from "vitest";
import { CommitStalled, commitWithin } from "./commit-within.ts";

describe("commitWithin", () => {
  it("returns once the commit is done", async () => {
    let done = false;
    await commitWithin(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        done = true;
      },
      1_000,
      "g",
    );
    expect(done).toBe(true);
  });

  it("passes a failed commit's own error on", async () => {
    await expect(
      commitWithin(() => Promise.reject(new Error("refused")), 1_000, "g"),
    ).rejects.toThrow("refused");
  });

  it("gives up on a commit that hangs with an error kafkajs answers by joining again", async () => {
    const started = Date.now();
    const error = await commitWithin(() => new Promise<void>(() => {}), 50, "shadow.x").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommitStalled);
    // kafkajs' runner joins the group again on these types (errors.js, isRebalancing).
    expect((error as CommitStalled).type).toBe("NOT_COORDINATOR_FOR_GROUP");
    expect((error as CommitStalled).message).toMatch(/shadow\.x.*50 ms/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("leaves no unhandled rejection when the abandoned commit fails later", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const late = new Promise<void>((_, reject) =>
        setTimeout(() => reject(new Error("late")), 30),
      );
      await expect(commitWithin(() => late, 5, "g")).rejects.toBeInstanceOf(CommitStalled);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
