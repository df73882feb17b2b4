import { describe, expect, it } from "vitest";
import { deriveEventId, newEventId } from "./ids.ts";

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("deriveEventId", () => {
  it("is the same for the same input event and position", () => {
    expect(deriveEventId("/shadow/gateway", "e-1", 0)).toBe(
      deriveEventId("/shadow/gateway", "e-1", 0),
    );
  });

  it("differs by position, input id and input source", () => {
    const ids = new Set([
      deriveEventId("/shadow/gateway", "e-1", 0),
      deriveEventId("/shadow/gateway", "e-1", 1),
      deriveEventId("/shadow/gateway", "e-2", 0),
      deriveEventId("/shadow/cli", "e-1", 0),
    ]);
    expect(ids.size).toBe(4);
  });

  it("is a version-5 UUID", () => {
    expect(deriveEventId("/s", "x", 3)).toMatch(UUID_V5);
  });

  it("does not collide across the source/id boundary", () => {
    expect(deriveEventId("/a", "b\nc", 0)).not.toBe(deriveEventId("/a\nb", "c", 0));
  });
});

describe("newEventId", () => {
  it("is fresh every time", () => {
    expect(newEventId()).not.toBe(newEventId());
  });
});
