import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { formatReport, runScenario } from "@shadow/scenario";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./repo-root.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadName } from "./workload-name.ts";

const env = useScenarioEnvironment();
const shadowCli = resolve(repoRoot, "cli/bin/shadow");

interface Run {
  /** Resolves with the first stdout line that matches, while the command goes on. */
  line(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The `shadow` command as a user runs it, against this file's gateway. */
function shadow(...args: string[]): Run {
  const child = spawn(shadowCli, args, {
    env: { ...process.env, SHADOW_GATEWAY_URL: env().gatewayUrl, SHADOW_TOKEN: env().token },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiting: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const w of waiting.splice(0)) {
      const match = stdout.match(w.pattern);
      if (match) w.resolve(match);
      else waiting.push(w);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    child.on("close", (code) => done({ code, stdout, stderr })),
  );
  return {
    exited,
    line: (pattern) =>
      new Promise((resolveLine, reject) => {
        const match = stdout.match(pattern);
        if (match) return resolveLine(match);
        waiting.push({ pattern, resolve: resolveLine });
        void exited.then(({ code }) =>
          reject(new Error(`shadow ${args.join(" ")} exited ${code}: ${stdout}${stderr}`)),
        );
      }),
  };
}

describe("the shadow CLI against the real gateway", () => {
  it("migrates a live workload with `shadow migrate --watch` and follows it to its end", async () => {
    const workload = workloadName("cli");
    let watched: Run | undefined;
    const report = await runScenario(
      env(),
      {
        workload,
        strategy: "shadow",
        identitySwap: false,
        rate: 40,
        partitions: 2,
        warmupMs: 3_000,
        cooldownMs: 1_000,
      },
      undefined,
      {
        async requestMigration(request) {
          watched = shadow(
            "migrate",
            request.workload,
            "--to",
            request.targetNode,
            "--no-identity-swap",
            "--watch",
          );
          const [, migrationId] = await watched.line(/^migration (\S+) started: /m);
          return { migrationId: migrationId as string };
        },
      },
    );
    console.log(formatReport(report));
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);

    const { code, stdout } = await (watched as Run).exited;
    console.log(stdout);
    expect(code).toBe(0);
    // Its last screen is the migration as the gateway folded it: every phase ended.
    const last = stdout.slice(stdout.lastIndexOf(`migration ${report.migration.migrationId}:`));
    expect(last).toContain("status    completed");
    for (const phase of ["checkpoint", "image", "restore", "catch-up", "fence", "drain"]) {
      expect(last).toMatch(new RegExp(`✓ round 1 ${phase}\\s+\\d`));
    }
    expect(last).toContain("downtime          0 ms (a copy served throughout)");
    expect(last).toMatch(/lag at fence\s+\d+ records?\n/);
    expect(last).toContain(`now serving       ${report.migration.final?.instance} on node-b`);
    // The local Jaeger has no UI: the line names the command that shows the trace instead.
    expect(last).toContain(
      `trace             shadow trace ${report.migration.migrationId} (no trace UI configured`,
    );
  });

  it("says why a migration is refused, and exits non-zero", async () => {
    const { code, stderr } = await shadow("migrate", "no-such-workload-0", "--to", "node-b").exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^shadow: .*no-such-workload-0/m);
  });
});
