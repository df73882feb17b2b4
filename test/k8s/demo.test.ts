import { spawn } from "node:child_process";
import { describe, expect, test } from "vitest";
import { repoRoot } from "../e2e/repo-root.ts";

// `shadow demo --runtime kubernetes` as a user runs it: the project's local cluster (already up
// here: the command brings it up the same idempotent way), the services on the kubernetes
// runtime, the example service as a StatefulSet's pod moved with its ordinal name, and the
// same report as the local demo.

/** Runs the CLI to its end; its output, and how it exited. */
function shadow(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["cli/bin/shadow", ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("shadow demo --runtime kubernetes", () => {
  test("moves the StatefulSet's pod to the other node with its name and prints the report", {
    timeout: 900_000,
  }, async () => {
    const { code, output } = await shadow(["demo", "--runtime", "kubernetes"]);
    console.log(output.split("\n").slice(-45).join("\n"));
    expect(output).toMatch(/orders-0 kube-a → kube-b, shadow \+ identity swap: completed/);
    expect(output).toMatch(/^lost 0, duplicated 0, reordered 0/m);
    expect(output).toMatch(/^downtime, HTTP probe every 10 ms +0 ms/m);
    expect(output).toMatch(/^ {2}round 2 {2}fence/m);
    // 0 only when completed, nothing lost or duplicated, and no downtime.
    expect(code).toBe(0);
  });

  test("refuses a runtime it does not know, saying which it knows", async () => {
    const { code, output } = await shadow(["demo", "--runtime", "nomad"]);
    expect(code).toBe(2);
    expect(output).toContain("--runtime must be local or kubernetes, not nomad");
  });
});
