import { describe, expect, it } from "vitest";
import { ReplayMeter } from "./replay-meter.ts";

const at = (...offsets: number[]) => ({
  offsets: offsets.map((offset, partition) => ({ topic: "in", partition, offset })),
});

describe("replay meter", () => {
  it("times the first record from the restore and rates the replay against the input", () => {
    const meter = new ReplayMeter(1_000);
    meter.observe(1_020, at(100, 200), at(10, 20));
    meter.observe(1_040, at(100, 200), at(10, 20));
    meter.observe(1_060, at(110, 200), at(15, 20));
    meter.observe(3_020, at(300, 210), at(300, 210));
    expect(meter.summary()).toEqual({
      firstRecordMs: 60,
      replayedRecords: 480,
      replayPerSec: 240,
      inputPerSec: 105,
    });
  });

  it("counts a partition the shadow reports late from nothing", () => {
    const meter = new ReplayMeter(0);
    meter.observe(0, at(5, 5), at(5));
    meter.observe(1_000, at(5, 5), at(5, 5));
    expect(meter.summary()).toMatchObject({ firstRecordMs: 1_000, replayedRecords: 6 });
  });

  it("says nothing of rates before two readings, nor of a first record never seen", () => {
    const meter = new ReplayMeter(0);
    expect(meter.summary()).toEqual({ replayedRecords: 0 });
    meter.observe(10, at(5), at(5));
    expect(meter.summary()).toEqual({ replayedRecords: 0 });
  });
});
