import { describe, expect, it } from "vitest";
import { shareInFlight } from "./shared-reads.ts";

describe("shared runtime reads", () => {
  it("gives callers that overlap one read, and a caller after it a fresh one", async () => {
    let reads = 0;
    let release: (n: number) => void = () => undefined;
    const read = shareInFlight(
      () =>
        new Promise<number>((resolve) => {
          reads += 1;
          release = resolve;
        }),
    );
    const overlapping = [read(), read(), read()];
    release(7);
    expect(await Promise.all(overlapping)).toEqual([7, 7, 7]);
    const later = read();
    release(8);
    expect(await later).toBe(8);
    expect(reads).toBe(2);
  });

  it("lets a failed read fail every caller that shared it, and the next caller try again", async () => {
    let reads = 0;
    const read = shareInFlight(async () => {
      reads += 1;
      if (reads === 1) throw new Error("runc busy");
      return reads;
    });
    await expect(Promise.all([read(), read()])).rejects.toThrow("runc busy");
    expect(await read()).toBe(2);
  });
});
