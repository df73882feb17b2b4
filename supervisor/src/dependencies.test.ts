import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
/** The test harness and the test kit build on the supervisor, never the other way round. */
const harness = ["@shadow/scenario", "@shadow/testkit", "@shadow/test"];

describe("the supervisor's dependencies", () => {
  it("do not include the test harness, in package.json or in any import", () => {
    const pkg = JSON.parse(readFileSync(join(here, "../package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => harness.includes(d))).toEqual([]);
    const imports = readdirSync(here)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) =>
        [...readFileSync(join(here, f), "utf8").matchAll(/from "([^"]+)"/g)].map((m) => m[1]),
      );
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter((i) => harness.some((h) => i === h || i?.startsWith(`${h}/`)))).toEqual(
      [],
    );
  });
});
