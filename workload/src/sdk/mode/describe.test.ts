import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeTable } from "./describe.ts";

const README = new URL("../../../README.md", import.meta.url);

describe("the README's state table", () => {
  it("is the one the code has", () => {
    const text = readFileSync(README, "utf8");
    const start = text.indexOf("<!-- mode-table:start");
    const end = text.indexOf("<!-- mode-table:end -->");
    expect(start, "README has the mode-table markers").toBeGreaterThan(0);
    const body = text.slice(text.indexOf("\n", start) + 1, end).trim();
    // On a difference, paste describeTable()'s output between the markers.
    expect(body).toBe(describeTable());
  });

  it("draws every move the table's rows list", () => {
    const table = describeTable();
    const rows = table.split("\n").filter((line) => line.startsWith("| `"));
    expect(rows.length).toBeGreaterThan(10);
    expect(table).toContain("primary --> fencing: fence-requested");
    expect(table).toContain("passing --> primary: fence-passed");
  });
});
