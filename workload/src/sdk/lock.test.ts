import { describe, expect, it } from "vitest";
import { Lock } from "./lock.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Lock", () => {
  it("runs one partition's records in order and different partitions' at once", async () => {
    const lock = new Lock();
    const log: string[] = [];
    const record = (key: string, n: number, ms: number) =>
      lock.runFor(key, async () => {
        log.push(`start ${key}${n}`);
        await tick(ms);
        log.push(`end ${key}${n}`);
      });
    const started = performance.now();
    await Promise.all([
      record("a", 1, 30),
      record("a", 2, 30),
      record("b", 1, 30),
      record("b", 2, 30),
    ]);
    const took = performance.now() - started;
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("end b1")).toBeLessThan(log.indexOf("start b2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    // Two partitions of two 30 ms records each: about 60 ms, not 120.
    expect(took).toBeLessThan(110);
  });

  it("gives an exclusive section the records in flight finished and none started during it", async () => {
    const lock = new Lock();
    const log: string[] = [];
    const inFlight = lock.runFor("a", async () => {
      await tick(20);
      log.push("record a done");
    });
    await tick(1);
    const fence = lock.run(async () => {
      log.push("fence in");
      await tick(20);
      log.push("fence out");
    });
    await tick(1);
    const later = lock.runFor("b", () => {
      log.push("record b");
    });
    await Promise.all([inFlight, fence, later]);
    expect(log).toEqual(["record a done", "fence in", "fence out", "record b"]);
  });

  it("releases a partition whose record threw", async () => {
    const lock = new Lock();
    await expect(lock.runFor("a", () => Promise.reject(new Error("bad record")))).rejects.toThrow(
      "bad record",
    );
    await expect(lock.runFor("a", () => 7)).resolves.toBe(7);
    await expect(lock.run(() => 8)).resolves.toBe(8);
    expect(lock.busy).toBe(false);
  });
});
