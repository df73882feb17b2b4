import { describe, expect, it } from "vitest";
import { dedupeKey, MemoryDedupeStore } from "./dedupe.ts";

describe("dedupeKey", () => {
  it("is source plus id, the CloudEvents duplicate rule", () => {
    expect(dedupeKey({ source: "/a", id: "1" })).toBe(dedupeKey({ source: "/a", id: "1" }));
    expect(dedupeKey({ source: "/a", id: "1" })).not.toBe(dedupeKey({ source: "/b", id: "1" }));
  });
});

describe("MemoryDedupeStore", () => {
  it("remembers what it was told", () => {
    const store = new MemoryDedupeStore();
    expect(store.has("k")).toBe(false);
    store.add("k");
    expect(store.has("k")).toBe(true);
  });

  it("forgets the least recently used key beyond its capacity", () => {
    const store = new MemoryDedupeStore(2);
    store.add("a");
    store.add("b");
    store.has("a"); // a is now more recent than b
    store.add("c");
    expect(store.size).toBe(2);
    expect(store.has("b")).toBe(false);
    expect(store.has("a")).toBe(true);
    expect(store.has("c")).toBe(true);
  });

  it("refuses a capacity below one", () => {
    expect(() => new MemoryDedupeStore(0)).toThrow(RangeError);
  });
});
