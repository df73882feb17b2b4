import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  createScenarioEnvironment,
  formatReport,
  runScenario,
  type ScenarioEnvironment,
  type ScenarioReport,
  waitFor,
} from "@shadow/scenario";
import { freePort } from "@shadow/supervisor";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { repoRoot } from "./repo-root.ts";
import { workloadName } from "./workload-name.ts";

/**
 * Seeing a migration as a person does: `shadow trace` in a terminal of 80 and 160 columns, and
 * the timeline picture opened in a real browser. One live migration for both. What a person
 * would see is kept in the test's output folder ($SHADOW_STATE/test-output/observe-<time>).
 */
const shadowCli = resolve(repoRoot, "cli/bin/shadow");
const outputDir = join(
  process.env.SHADOW_STATE || "/var/lib/shadow",
  "test-output",
  `observe-${new Date().toISOString().replace(/[:.]/g, "-")}`,
);

/** Every step's handler span, in the order the choreography runs them. */
const steps = [
  "handle requested",
  "handle checkpoint.created",
  "handle checkpoint-image.ready",
  "handle shadow.restored",
  "handle shadow.caught-up",
  "handle fence.passed",
  "handle fence.completed",
];

let env: ScenarioEnvironment;
let report: ScenarioReport;

/** `shadow ...` as a user runs it against this file's gateway and the stack's Jaeger. */
function shadow(args: string[], extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(shadowCli, args, {
      env: {
        ...process.env,
        SHADOW_GATEWAY_URL: env.gatewayUrl,
        SHADOW_TOKEN: env.token,
        SHADOW_JAEGER_QUERY: inject("jaegerQueryUrl"),
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  process.env.SHADOW_KAFKA_BROKERS = inject("kafkaBrokers").join(",");
  // A broker of its own may be named (as for every scenario); else the stack's NODES listener.
  process.env.SHADOW_NODE_KAFKA_BROKERS ||= inject("kafkaNodeBrokers").join(",");
  process.env.SHADOW_JAEGER_QUERY = inject("jaegerQueryUrl");
  await mkdir(outputDir, { recursive: true });
  env = await createScenarioEnvironment({ stackUp: true, gatewayPort: await freePort() });
  report = await runScenario(env, {
    workload: workloadName("observed"),
    strategy: "shadow",
    identitySwap: false,
    rate: 40,
    partitions: 2,
    warmupMs: 3_000,
    cooldownMs: 1_500,
  });
  console.log(formatReport(report));
  expect(report.migration.status).toBe("completed");
}, 300_000);

afterAll(async () => {
  await env?.close();
});

describe("shadow trace <migration-id>", () => {
  for (const width of [80, 160]) {
    it(`prints every step's span in start order with the migration's attributes, in ${width} columns`, async () => {
      const m = report.migration;
      // Spans are exported in batches: ask until the last step's span is there.
      const { stdout } = await waitFor("every step's span in the trace", 60_000, async () => {
        const run = await shadow(["trace", m.migrationId, "--width", String(width)]);
        return run.code === 0 && steps.every((s) => run.stdout.includes(s)) ? run : undefined;
      });
      await writeFile(join(outputDir, `trace-${width}.txt`), stdout);
      console.log(stdout);
      const lines = stdout.trimEnd().split("\n");
      for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(width);
      expect(lines.slice(0, 2).join(" · ")).toContain(`migration ${m.migrationId} (${m.workload})`);
      const at = steps.map((step) => lines.findIndex((l) => l.includes(step)));
      expect(at.every((i) => i > 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      // Start offsets grow down the page.
      const offsets = lines
        .map((l) => /^\s*(\d+(?:\.\d+)?) (ms|s) /.exec(l))
        .filter((x) => x !== null)
        .map(([, n, unit]) => Number(n) * (unit === "s" ? 1000 : 1));
      expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
      // The handoff (round, both copies and their nodes) and the offsets of the cut.
      const text = lines.join(" ").replace(/\s+/g, " ");
      const to = m.work[0]?.shadow;
      expect(text).toContain(`round 1: ${m.source.instance}@node-a → ${to?.instance}@node-b`);
      expect(text).toMatch(/source at (\d+@\d+ ?){2} · shadow at (\d+@\d+ ?){2}/);
      expect(text).toMatch(/cut \d+@\d+ \d+@\d+/);
    });
  }

  it("says so when Jaeger has no such trace, or cannot be reached", async () => {
    const missing = await shadow(["trace", "0123456789abcdef0123456789abcdef"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/has no trace 0123456789abcdef0123456789abcdef/);
    const down = await shadow(["trace", report.migration.migrationId], {
      SHADOW_JAEGER_QUERY: `http://127.0.0.1:${await freePort()}`,
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Jaeger's query API at http:\/\/127\.0\.0\.1:\d+/);
  });

  it("names the command where no trace UI is configured", async () => {
    const { stdout } = await shadow(["status", report.migration.migrationId]);
    expect(stdout).toContain(
      `trace             shadow trace ${report.migration.migrationId} (no trace UI configured`,
    );
  });
});

/** What the browser laid out, read from its layout (boxes in CSS pixels). */
interface Drawn {
  phases: { phase: string; width: number }[];
  freezes: { left: number; t0: number; copy: string; ms: number }[];
  tick0: number;
  tickLast: { ms: number; x: number };
  activity: { copy: string; role: string; records: number; bars: number }[];
}

/** Runs in the page (the test's TypeScript has no DOM types, so it goes as text). */
const measureInBrowser = `(() => {
  const box = (e) => e.getBoundingClientRect();
  const all = (kind) => [...document.querySelectorAll('[data-kind="' + kind + '"]')];
  const tick = (ms) => {
    const t = document.querySelector('[data-kind="tick"][data-ms="' + ms + '"]');
    return t ? box(t).left : Number.NaN;
  };
  const ticks = all("tick").map((t) => Number(t.getAttribute("data-ms")));
  const last = ticks[ticks.length - 1] ?? 0;
  return {
    phases: all("phase").map((p) => ({ phase: p.getAttribute("data-phase"), width: box(p).width })),
    freezes: all("freeze").map((f) => ({
      left: box(f).left,
      t0: Number(f.getAttribute("data-t0")),
      copy: f.getAttribute("data-copy"),
      ms: Number(f.getAttribute("data-ms")),
    })),
    tick0: tick(0),
    tickLast: { ms: last, x: tick(last) },
    activity: all("activity").map((a) => ({
      copy: a.getAttribute("data-copy"),
      role: a.getAttribute("data-role"),
      records: Number(a.getAttribute("data-records")),
      bars: [...a.querySelectorAll("rect")].filter((r) => box(r).height > 0).length,
    })),
  };
})()`;

describe("the migration's timeline", () => {
  it("opens in headless Chromium with the phases, the freeze where it was measured, and both copies' activity", async () => {
    const m = report.migration;
    const file = join(outputDir, "timeline.svg");
    const status = await shadow(["status", m.migrationId, "--svg", file]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`timeline          ${file}`);
    const svg = await readFile(file, "utf8");
    expect(svg).toMatch(/^<svg /);

    await promisify(execFile)("bash", [join(repoRoot, "deploy/local/chromium.sh"), "install"]);
    const profile = await mkdtemp(join(tmpdir(), "shadow-chromium-"));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1100, height: 800 },
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      // The window is the picture's size: a full-page screenshot of an SVG document never ends.
      const height = Number(/<svg [^>]*height="(\d+)"/.exec(svg)?.[1]);
      await page.setViewportSize({ width: 1100, height });
      await page.goto(`file://${file}`);
      await page.screenshot({ path: join(outputDir, "timeline.png") });
      const drawn = (await page.evaluate(measureInBrowser)) as Drawn;
      expect(drawn.phases.map((p) => p.phase)).toEqual([
        "checkpoint",
        "image",
        "restore",
        "catch-up",
        "fence",
        "drain",
      ]);
      for (const p of drawn.phases) expect(p.width, p.phase).toBeGreaterThan(0);
      // The freeze lies where the checkpoint measured it: frozenAt on the axis the ticks mark.
      const work = m.work[0];
      const frozenAt = Date.parse(work?.frozenAt ?? "") - Date.parse(m.requestedAt);
      expect(drawn.freezes).toHaveLength(1);
      const [freeze] = drawn.freezes;
      expect(freeze?.ms).toBeCloseTo(work?.pauseMs ?? Number.NaN, 0);
      expect(freeze?.copy).toBe(`${m.source.instance}@node-a`);
      expect(Math.abs((freeze?.t0 ?? 0) - frozenAt)).toBeLessThanOrEqual(1);
      const pxPerMs = (drawn.tickLast.x - drawn.tick0) / drawn.tickLast.ms;
      expect(Math.abs((freeze?.left ?? 0) - (drawn.tick0 + frozenAt * pxPerMs))).toBeLessThan(1.5);
      // Both copies worked, and are drawn: the source before the fence, the shadow after.
      const copies = drawn.activity.map((a) => [a.copy, a.role]);
      expect(copies).toEqual([
        [`${m.source.instance}@node-a`, "source"],
        [`${work?.shadow?.instance}@node-b`, "shadow"],
      ]);
      for (const a of drawn.activity) {
        expect(a.records, a.copy).toBeGreaterThan(0);
        expect(a.bars, a.copy).toBeGreaterThan(3);
      }
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
    console.log(`timeline and its screenshot: ${outputDir}`);
  });
});
