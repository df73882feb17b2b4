import { type LayerEntry, sha256 } from "./layer.ts";
import type { NodeRuntime, SystemFile } from "./node-runtime.ts";
import type { PackageInfo } from "./packages.ts";

/**
 * What an image holds, written into it (`/opt/shadow/<name>/sbom.json`) and beside the
 * archive: every file with its size and digest, the Node it runs on, the system libraries with
 * their Debian packages, and every npm package whose code it carries (bundled into main.mjs or
 * shipped in node_modules) with its version and license. Not SPDX or CycloneDX, but everything
 * one of those would be made from.
 */
export interface ImageContents {
  image: string;
  entrypoint: string[];
  node: NodeRuntime["node"];
  system: SystemFile[];
  packages: {
    name: string;
    version: string;
    license: string;
    firstParty: boolean;
    /** Inlined in the bundle, or shipped as files in node_modules. */
    how: "bundled" | "node_modules";
  }[];
  files: { path: string; size: number; mode: string; sha256?: string; target?: string }[];
}

export type FileRecord = ImageContents["files"][number];

export function imageContents(input: {
  image: string;
  entrypoint: string[];
  runtime: Pick<NodeRuntime, "node" | "system">;
  bundled: PackageInfo[];
  shipped: PackageInfo[];
  files: FileRecord[];
}): ImageContents {
  const packages = [
    ...input.bundled.map((p) => ({ p, how: "bundled" as const })),
    ...input.shipped.map((p) => ({ p, how: "node_modules" as const })),
  ].map(({ p, how }) => ({
    name: p.name,
    version: p.version,
    license: p.license,
    firstParty: p.firstParty,
    how,
  }));
  return {
    image: input.image,
    entrypoint: input.entrypoint,
    node: input.runtime.node,
    system: input.runtime.system,
    packages,
    files: [...input.files].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}

/** The files and links of a layer as the bill of materials lists them. */
export function fileRecords(entries: LayerEntry[]): FileRecord[] {
  return entries.flatMap((e): FileRecord[] => {
    if (e.kind === "dir") return [];
    if (e.kind === "symlink") return [{ path: e.path, size: 0, mode: "0777", target: e.target }];
    const mode = e.mode.toString(8).padStart(4, "0");
    return [{ path: e.path, size: e.bytes.byteLength, mode, sha256: sha256(e.bytes) }];
  });
}

/**
 * The license texts of the third-party packages in an image, one after another: the notices
 * their licenses ask to travel with the code (the bundle itself drops every comment).
 */
export function licenseNotices(packages: PackageInfo[]): string {
  return packages
    .filter((p) => !p.firstParty)
    .map((p) => {
      const head = `${p.name}@${p.version} (${p.license})`;
      return `${head}\n${"=".repeat(head.length)}\n${p.licenseText?.trim() ?? "(no license file shipped)"}\n`;
    })
    .join("\n");
}
