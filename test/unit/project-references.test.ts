import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../e2e/repo-root.ts";

/**
 * `tsc -b` checks each package once, against its dependencies' declarations, only if every
 * workspace dependency is also a project reference (a missing one is re-checked from source, or
 * read from a stale build). These keep the references and the package manifests in step.
 */

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
interface TsConfig {
  references?: { path: string }[];
  compilerOptions?: Record<string, unknown>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

function workspaces(): string[] {
  const root = readJson<{ workspaces: string[] }>(join(repoRoot, "package.json"));
  return root.workspaces
    .flatMap((pattern) =>
      pattern.endsWith("/*")
        ? readdirSync(join(repoRoot, pattern.slice(0, -2))).map(
            (name) => `${pattern.slice(0, -2)}/${name}`,
          )
        : [pattern],
    )
    .filter((dir) => existsSync(join(repoRoot, dir, "package.json")));
}

const dirs = workspaces();
const dirOf = new Map(
  dirs.map((d) => [readJson<Manifest>(join(repoRoot, d, "package.json")).name, d]),
);

describe("TypeScript project references", () => {
  it("the root tsconfig builds every workspace", () => {
    const root = readJson<TsConfig>(join(repoRoot, "tsconfig.json"));
    expect((root.references ?? []).map((r) => r.path).sort()).toEqual([...dirs].sort());
  });

  it.each(dirs)("%s references exactly the workspaces it depends on, and is composite", (dir) => {
    const manifest = readJson<Manifest>(join(repoRoot, dir, "package.json"));
    const wanted = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
      .filter((name) => dirOf.has(name))
      .map((name) => dirOf.get(name) as string)
      .sort();
    const config = readJson<TsConfig>(join(repoRoot, dir, "tsconfig.json"));
    const referenced = (config.references ?? [])
      .map((r) => relative(repoRoot, resolve(repoRoot, dir, r.path)))
      .sort();
    expect(referenced).toEqual(wanted);
    const base = readJson<TsConfig>(join(repoRoot, "tsconfig.base.json"));
    expect({ ...base.compilerOptions, ...config.compilerOptions }).toMatchObject({
      composite: true,
      outDir: ".tsbuild",
    });
  });
});
