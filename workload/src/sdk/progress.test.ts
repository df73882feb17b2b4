import { describe, expect, it } from "vitest";
import { CutIndex, HeldBack } from "./held-back.ts";
import { Progress } from "./progress.ts";

describe("progress", () => {
  it("gives the cut for every assigned partition, -1 where nothing was processed", () => {
    const progress = new Progress([{ topic: "a", partition: 1, offset: 4 }]);
    progress.assigned = [0, 1, 2].map((partition) => ({ topic: "a", partition }));
    progress.record("a", 0, 9);
    expect(progress.cut()).toEqual([
      { topic: "a", partition: 0, offset: 9 },
      { topic: "a", partition: 1, offset: 4 },
      { topic: "a", partition: 2, offset: -1 },
    ]);
  });

  it("knows when it is past a cut and how far behind it is", () => {
    const progress = new Progress([{ topic: "a", partition: 0, offset: 5 }]);
    const cut = [
      { topic: "a", partition: 0, offset: 7 },
      { topic: "a", partition: 1, offset: -1 },
    ];
    expect(progress.passed(cut)).toBe(false);
    expect(progress.behind(cut)).toBe(2);
    progress.record("a", 0, 7);
    expect(progress.passed(cut)).toBe(true);
  });

  it("resumes after the last processed record, or at the first refused one", () => {
    const progress = new Progress();
    expect(progress.next("a", 0)).toBeUndefined();
    progress.noteRefused("a", 0, 12);
    progress.noteRefused("a", 0, 10);
    expect(progress.next("a", 0)).toBe(10);
    progress.record("a", 0, 10);
    expect(progress.next("a", 0)).toBe(11);
  });
});

describe("held-back outputs", () => {
  const out = (partition: number, offset: number) => ({
    topic: "o",
    key: null,
    value: `${partition}:${offset}`,
    headers: {},
    input: { topic: "a", partition, offset },
  });

  it("trims by position per partition and keeps processing order", () => {
    const held = new HeldBack(10);
    held.hold([out(0, 1), out(1, 1), out(0, 2), out(1, 2), out(0, 3)]);
    expect(held.discardUpTo([{ topic: "a", partition: 0, offset: 2 }])).toBe(2);
    expect(held.peek().map((o) => o.value)).toEqual(["1:1", "1:2", "0:3"]);
    expect(held.lowest("a", 1)).toBe(1);
  });

  it("names the partitions it holds outputs of, through trims and takes", () => {
    const held = new HeldBack(10);
    held.hold([out(0, 1), out(1, 1), out(0, 2), out(2, 5)]);
    const names = () =>
      held
        .partitions()
        .map((tp) => tp.partition)
        .sort();
    expect(names()).toEqual([0, 1, 2]);
    held.discardUpTo([
      { topic: "a", partition: 0, offset: 1 },
      { topic: "a", partition: 1, offset: 1 },
    ]);
    expect(names()).toEqual([0, 2]);
    held.discardUpTo([{ topic: "a", partition: 0, offset: 2 }]);
    expect(names()).toEqual([2]);
    held.takeAll();
    expect(names()).toEqual([]);
    held.hold([out(3, 1)]);
    held.clear();
    expect(names()).toEqual([]);
  });

  it("is full at its bound", () => {
    const held = new HeldBack(2);
    held.hold([out(0, 1)]);
    expect(held.full).toBe(false);
    held.hold([out(0, 2)]);
    expect(held.full).toBe(true);
  });

  it("indexes a cut with -1 for partitions it does not name", () => {
    const cut = new CutIndex([{ topic: "a", partition: 0, offset: 5 }]);
    expect(cut.covers({ topic: "a", partition: 0, offset: 5 })).toBe(true);
    expect(cut.covers({ topic: "a", partition: 0, offset: 6 })).toBe(false);
    expect(cut.covers({ topic: "a", partition: 3, offset: 0 })).toBe(false);
  });
});
