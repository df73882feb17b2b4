import { describe, expect, it } from "vitest";
import { CatchUpTimeoutError } from "./watch.ts";

describe("CatchUpTimeoutError", () => {
  it("names the lag when one was read, and carries the migration id and code", () => {
    const error = new CatchUpTimeoutError("m-1", 31, 10_000);
    expect(error.message).toBe("shadow still 31 records behind the source after 10000 ms");
    expect(error).toMatchObject({ migrationId: "m-1", code: "CATCH_UP_TIMEOUT" });
  });

  it("says the progress is unknown, not 'Infinity records behind', when no lag was ever read", () => {
    const error = new CatchUpTimeoutError("m-1", Number.POSITIVE_INFINITY, 10_000);
    expect(error.message).not.toContain("Infinity");
    expect(error.message).toContain("never answered /status");
  });
});
