import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

/** An npm package (or one of the project's own) whose code is in an image. */
export interface PackageInfo {
  name: string;
  version: string;
  /** The SPDX expression its package.json declares; "UNKNOWN" when it declares none. */
  license: string;
  /** Its directory, relative to the repository root. */
  dir: string;
  /** Whether it is one of the project's own workspace packages. */
  firstParty: boolean;
  /** Its LICENSE (or LICENCE, COPYING) file's text, if it ships one. */
  licenseText?: string;
}

/**
 * The packages the given files belong to: for each file, the nearest package.json with a name
 * above it (a nested one with no name, such as a `dist/esm/package.json` saying only its module
 * type, belongs to the package around it). Sorted by name and version.
 */
export async function packagesOf(repoRoot: string, files: string[]): Promise<PackageInfo[]> {
  const byDir = new Map<string, PackageInfo>();
  const dirOf = new Map<string, string | undefined>();
  for (const file of files) {
    const dir = await owningDir(repoRoot, dirname(join(repoRoot, file)), dirOf);
    if (!dir || byDir.has(dir)) continue;
    byDir.set(dir, await describe(repoRoot, dir));
  }
  return [...byDir.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version),
  );
}

async function owningDir(
  repoRoot: string,
  start: string,
  cache: Map<string, string | undefined>,
): Promise<string | undefined> {
  const seen: string[] = [];
  let found: string | undefined;
  for (let dir = start; dir.startsWith(repoRoot); dir = dirname(dir)) {
    if (cache.has(dir)) {
      found = cache.get(dir);
      break;
    }
    seen.push(dir);
    const manifest = await readJson(join(dir, "package.json"));
    if (typeof manifest?.name === "string") {
      found = dir;
      break;
    }
    if (dir === repoRoot) break;
  }
  for (const dir of seen) cache.set(dir, found);
  return found;
}

async function describe(repoRoot: string, dir: string): Promise<PackageInfo> {
  const manifest = (await readJson(join(dir, "package.json"))) ?? {};
  const rel = relative(repoRoot, dir);
  const text = await licenseText(dir);
  return {
    name: String(manifest.name),
    version: typeof manifest.version === "string" ? manifest.version : "0.0.0",
    license: licenseOf(manifest),
    dir: rel,
    firstParty: !rel.split("/").includes("node_modules"),
    ...(text ? { licenseText: text } : {}),
  };
}

/** `license` as npm documents it, or the old `licenses` array some packages still carry. */
function licenseOf(manifest: Record<string, unknown>): string {
  const license = manifest.license;
  if (typeof license === "string" && license.length > 0) return license;
  if (license && typeof license === "object" && "type" in license) return String(license.type);
  if (Array.isArray(manifest.licenses)) {
    const types = manifest.licenses
      .map((l: unknown) => (l && typeof l === "object" && "type" in l ? String(l.type) : ""))
      .filter(Boolean);
    if (types.length > 0) return types.join(" OR ");
  }
  return manifest.private === true ? "UNLICENSED" : "UNKNOWN";
}

async function licenseText(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const file = names.sort().find((n) => /^(licen[cs]e|copying)(\.|$)/i.test(n));
  return file ? readFile(join(dir, file), "utf8") : undefined;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
