import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { hostRootSettings, installProgram, nsenterArgs, runInHostRoot } from "./host-root.ts";

// The node's root is this machine's / and its mount namespace this process's, so the agent's
// program really is copied, run through nsenter, with the node's settings file.

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function program(text: string): Promise<{ node: string; entry: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "shadow-agent-host-root-"));
  dirs.push(dir);
  await mkdir(join(dir, "image", "node_modules", "dep"), { recursive: true });
  await writeFile(join(dir, "image", "main.mjs"), text);
  await writeFile(join(dir, "image", "node_modules", "dep", "index.js"), "export {};\n");
  return { node: process.execPath, entry: join(dir, "image", "main.mjs"), dir };
}

describe("the node agent in a pod", () => {
  test("is an agent on its node when no host root is set, and refuses a relative one", () => {
    expect(hostRootSettings({})).toBeUndefined();
    expect(hostRootSettings({ SHADOW_AGENT_HOST_ROOT: "" })).toBeUndefined();
    // The node's mount namespace is the pod's parent's (the runtime's shim) unless named.
    expect(hostRootSettings({ SHADOW_AGENT_HOST_ROOT: "/host" })).toEqual({
      hostRoot: "/host",
      mountNamespace: `/proc/${process.ppid}/ns/mnt`,
      installDir: "/var/lib/shadow/node-agent",
    });
    expect(() => hostRootSettings({ SHADOW_AGENT_HOST_ROOT: "host" })).toThrow(
      /SHADOW_AGENT_HOST_ROOT: an absolute path/,
    );
    expect(() =>
      hostRootSettings({ SHADOW_AGENT_HOST_ROOT: "/host", SHADOW_AGENT_ENV_FILE: "node.env" }),
    ).toThrow(/SHADOW_AGENT_ENV_FILE: an absolute path/);
  });

  test("installs its program once per version and keeps the two newest", async () => {
    const first = await program("console.log('one');\n");
    const settings = {
      hostRoot: "/",
      mountNamespace: "/proc/self/ns/mnt",
      installDir: join(first.dir, "installed"),
    };
    const installed = await installProgram(settings, first);
    const [version] = await readdir(settings.installDir);
    expect(installed.entry).toBe(join(settings.installDir, version ?? "", "main.mjs"));
    expect((await stat(installed.node)).size).toBe((await stat(process.execPath)).size);
    expect(await readdir(join(settings.installDir, version ?? "", "node_modules", "dep"))).toEqual([
      "index.js",
    ]);
    const copiedAt = (await stat(installed.entry)).mtimeMs;
    // The same version again: nothing copied.
    expect(await installProgram(settings, first)).toEqual(installed);
    expect((await stat(installed.entry)).mtimeMs).toBe(copiedAt);
    // Another version: installed beside; the one before stays (it may run while the update
    // rolls), older ones go.
    await writeFile(first.entry, "console.log('two');\n");
    const next = await installProgram(settings, first);
    expect(next.entry).not.toBe(installed.entry);
    expect(await readdir(settings.installDir)).toHaveLength(2);
    await writeFile(first.entry, "console.log('three');\n");
    const third = await installProgram(settings, first);
    const left = await readdir(settings.installDir);
    expect(left).toHaveLength(2);
    expect(left.map((v) => join(settings.installDir, v, "main.mjs")).sort()).toEqual(
      [next.entry, third.entry].sort(),
    );
    expect(nsenterArgs({ ...settings, envFile: "/etc/node.env" }, next)).toEqual([
      "--mount=/proc/self/ns/mnt",
      "--",
      next.node,
      "--env-file=/etc/node.env",
      next.entry,
    ]);
  });

  test("installed by two agents at once, one whole copy stays in place", async () => {
    const p = await program("console.log('same');\n");
    const settings = {
      hostRoot: "/",
      mountNamespace: "/proc/self/ns/mnt",
      installDir: join(p.dir, "installed"),
    };
    const [a, b] = await Promise.all([installProgram(settings, p), installProgram(settings, p)]);
    expect(a).toEqual(b);
    expect(await readdir(settings.installDir)).toHaveLength(1);
    expect((await stat(a.node)).size).toBe((await stat(process.execPath)).size);
  });

  test("runs in the node's mount namespace with the node's settings, the pod's own winning, and exits as it does", async () => {
    const p = await program("");
    const out = join(p.dir, "out.json");
    // stdout is the kubelet's: the entry reports in a file.
    await writeFile(
      p.entry,
      [
        'import { writeFileSync } from "node:fs";',
        "const { SHADOW_AGENT_CONTAINERD: containerd, SHADOW_AGENT_NODE: node, SHADOW_AGENT_HOST_ROOT: root } = process.env;",
        `writeFileSync(${JSON.stringify(out)}, JSON.stringify({ containerd, node, root }));`,
        "process.exit(7);",
      ].join("\n"),
    );
    const envFile = join(p.dir, "node.env");
    await writeFile(
      envFile,
      "SHADOW_AGENT_CONTAINERD=/run/node-a/containerd.sock\nSHADOW_AGENT_NODE=from-file\n",
    );
    const settings = {
      hostRoot: "/",
      mountNamespace: `/proc/${process.pid}/ns/mnt`,
      installDir: join(p.dir, "installed"),
      envFile,
    };
    const previous = { ...process.env };
    process.env.SHADOW_AGENT_NODE = "node-a";
    process.env.SHADOW_AGENT_HOST_ROOT = "/";
    try {
      expect(await runInHostRoot(settings, p)).toBe(7);
    } finally {
      process.env = previous;
    }
    expect(JSON.parse(await readFile(out, "utf8"))).toEqual({
      containerd: "/run/node-a/containerd.sock",
      node: "node-a",
      root: "",
    });
    await expect(
      runInHostRoot({ ...settings, envFile: join(p.dir, "missing.env") }, p),
    ).rejects.toThrow(/SHADOW_AGENT_ENV_FILE .*missing.env is not in the node's root/);
  });
});
