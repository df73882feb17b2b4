import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../e2e/repo-root.ts";

/**
 * The README and the documents under docs/ link to each other and into the tree; a document
 * moved or renamed must not leave a link pointing at nothing. Every relative link (and image)
 * must name a file or directory that exists, and a `#fragment` into a markdown file must name
 * one of its headings.
 */

interface Link {
  file: string;
  line: number;
  target: string;
}

/**
 * docs/*.md and every README.md below docs/. A benchmark run's own `results.md` is left out: it
 * is the harness's output as it was written, kept as it was, pictures it named included or not.
 */
function documents(dir: string, top = true): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return documents(path, false);
    return (top && name.endsWith(".md")) || name === "README.md" ? [path] : [];
  });
}

/** Code blocks and code spans are not links, whatever they hold; blanked, lines kept. */
function withoutCode(markdown: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  return markdown.replace(/^```[\s\S]*?^```$/gm, blank).replace(/`[^`\n]*`/g, blank);
}

function relativeLinks(file: string): Link[] {
  const text = withoutCode(readFileSync(file, "utf8"));
  const links: Link[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = match[1] ?? "";
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const line = text.slice(0, match.index).split("\n").length;
    links.push({ file, line, target });
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
function anchors(markdownFile: string): Set<string> {
  const text = readFileSync(markdownFile, "utf8").replace(/^```[\s\S]*?^```$/gm, "");
  const out = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = (match[1] ?? "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    out.add(slug);
  }
  return out;
}

/** What is wrong with a link, or undefined when it resolves. */
function problem(link: Link): string | undefined {
  const [pathPart = "", fragment] = link.target.split("#", 2);
  const path = pathPart === "" ? link.file : join(dirname(link.file), decodeURI(pathPart));
  if (!existsSync(path)) return `no such file: ${relative(repoRoot, path)}`;
  if (fragment && path.endsWith(".md") && !anchors(path).has(fragment.toLowerCase())) {
    return `no heading #${fragment} in ${relative(repoRoot, path)}`;
  }
  return undefined;
}

describe("relative links in README.md and docs/", () => {
  const files = [join(repoRoot, "README.md"), ...documents(join(repoRoot, "docs"))];
  const links = files.flatMap(relativeLinks);

  it("finds the documents and their links", () => {
    expect(files.map((f) => relative(repoRoot, f))).toContain("docs/benchmark/README.md");
    expect(links.some((l) => l.file.endsWith("README.md"))).toBe(true);
  });

  it("point at files and headings that exist", () => {
    const broken = links.flatMap((link) => {
      const why = problem(link);
      return why ? [`${relative(repoRoot, link.file)}:${link.line} (${link.target}): ${why}`] : [];
    });
    expect(broken).toEqual([]);
  });

  it("catch a link to a missing file and to a missing heading", () => {
    const readme = join(repoRoot, "README.md");
    expect(problem({ file: readme, line: 1, target: "docs/no-such-file.md" })).toMatch(/no such/);
    expect(problem({ file: readme, line: 1, target: "#no-such-heading" })).toMatch(/no heading/);
    expect(problem({ file: readme, line: 1, target: "docs/protocol.md" })).toBeUndefined();
  });
});
