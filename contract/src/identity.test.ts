import { describe, expect, it } from "vitest";
import { controlGroupId, inputGroupId } from "./groups.ts";
import { type Identity, parseIdentity, sameIdentity } from "./identity.ts";

const shadow: Identity = {
  workload: "orders-0",
  instance: "orders-0-shadow-41b9b7b0",
  node: "node-b",
  role: "shadow",
  incarnation: 2,
  migrationId: "mig-41b9b7b0",
};

describe("the identity file", () => {
  it("parses what the platform writes", () => {
    expect(parseIdentity(JSON.stringify(shadow), "identity.json")).toEqual({
      ok: true,
      identity: shadow,
    });
  });

  it("takes any incarnation that changes: a count or a text", () => {
    const read = parseIdentity(JSON.stringify({ ...shadow, incarnation: "r-2" }), "f");
    expect(read.ok && read.identity.incarnation).toBe("r-2");
  });

  it("refuses a half-written or foreign file, saying which and why", () => {
    const half = parseIdentity('{"workload": "orders-0", "inst', "/run/shadow/identity.json");
    expect(half).toMatchObject({ ok: false, reason: expect.stringContaining("is not JSON") });
    const foreign = parseIdentity(JSON.stringify({ ...shadow, role: "leader" }), "f");
    expect(foreign).toMatchObject({ ok: false, reason: expect.stringContaining("role") });
    const badName = parseIdentity(JSON.stringify({ ...shadow, workload: "Orders_0" }), "f");
    expect(badName).toMatchObject({ ok: false, reason: expect.stringContaining("DNS label") });
  });

  it("is the same identity whatever the key order, and not when a field differs", () => {
    const reordered = JSON.parse(JSON.stringify(shadow, Object.keys(shadow).reverse())) as Identity;
    expect(sameIdentity(shadow, reordered)).toBe(true);
    expect(sameIdentity(shadow, { ...shadow, incarnation: 3 })).toBe(false);
    expect(sameIdentity(shadow, { ...shadow, migrationId: undefined })).toBe(false);
    expect(sameIdentity(undefined, undefined)).toBe(true);
    expect(sameIdentity(shadow, undefined)).toBe(false);
  });
});

describe("consumer group names", () => {
  it("are one per incarnation, so a copy never joins its source's group", () => {
    expect(inputGroupId(shadow)).toBe("shadow.workload.orders-0.orders-0-shadow-41b9b7b0.2");
    expect(controlGroupId(shadow)).toBe(`${inputGroupId(shadow)}.control`);
    expect(inputGroupId({ ...shadow, incarnation: 3 })).not.toBe(inputGroupId(shadow));
  });
});
