import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { freePorts } from "./ports.ts";
import { Supervisor } from "./supervisor.ts";
import type { ServiceSpec, SupervisorLog } from "./types.ts";

/**
 * A stand-in service: a real process answering `/ready` with the health report, on the port
 * the supervisor gives it. `crash` exits at once; `stubborn` ignores SIGTERM.
 */
const fakeService = `
const http = require("node:http");
const mode = process.env.FAKE_MODE;
if (mode === "crash") process.exit(3);
process.on("SIGTERM", () => { if (mode !== "stubborn") process.exit(0); });
const startedAt = new Date().toISOString();
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ service: process.env.FAKE_NAME, status: "ready", pid: process.pid, startedAt,
    metrics: "http://127.0.0.1:1/metrics" }));
}).listen(Number(process.env.SHADOW_HEALTH_PORT), "127.0.0.1");
`;

async function fakes(modes: Record<string, string>): Promise<ServiceSpec[]> {
  const names = Object.keys(modes);
  const ports = await freePorts(names.length);
  return names.map((name, i) => ({
    name,
    command: process.execPath,
    args: ["-e", fakeService],
    env: {
      FAKE_NAME: name,
      FAKE_MODE: modes[name] ?? "",
      SHADOW_HEALTH_PORT: String(ports[i]),
    },
    healthUrl: `http://127.0.0.1:${ports[i]}`,
  }));
}

function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log: SupervisorLog = {
    info: (fields, message) => lines.push({ level: "info", fields, message }),
    warn: (fields, message) => lines.push({ level: "warn", fields, message }),
  };
  return { log, lines };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const logDir = mkdtempSync(join(tmpdir(), "supervisor-test-"));
let supervisor: Supervisor | undefined;
afterEach(async () => {
  await supervisor?.stopAll(500);
  supervisor = undefined;
});

describe("the supervisor", () => {
  it("starts every service and knows each ready by its /ready, pid and metrics included", async () => {
    supervisor = new Supervisor({ services: await fakes({ a: "", b: "" }), logDir });
    await supervisor.startAll();
    const statuses = supervisor.status();
    expect(statuses.map((s) => [s.name, s.state, s.restarts])).toEqual([
      ["a", "ready", 0],
      ["b", "ready", 0],
    ]);
    expect(statuses.every((s) => typeof s.pid === "number")).toBe(true);
    expect(supervisor.metricsUrl("a")).toBe("http://127.0.0.1:1/metrics");
  });

  it("restarts a service killed with SIGKILL, after its backoff, and logs it", async () => {
    const { log, lines } = recordingLog();
    supervisor = new Supervisor({
      services: await fakes({ a: "" }),
      logDir,
      log,
      restart: { initialDelayMs: 100 },
    });
    await supervisor.startAll();
    const before = supervisor.status()[0]?.pid;
    await supervisor.kill("a");
    expect(supervisor.status()[0]?.state).toBe("backoff");
    const after = await until("a restarted and ready", () => {
      const s = supervisor?.status()[0];
      return s?.state === "ready" ? s : undefined;
    });
    expect(after.pid).not.toBe(before);
    expect(after.restarts).toBe(1);
    const exited = lines.find((l) => l.message === "service exited: restarting after backoff");
    expect(exited?.fields).toMatchObject({ service: "a", signal: "SIGKILL", restartInMs: 100 });
  });

  it("waits longer before each restart of a service that keeps dying, up to the cap", async () => {
    const { log, lines } = recordingLog();
    supervisor = new Supervisor({
      services: await fakes({ crashy: "crash" }),
      logDir,
      log,
      restart: { initialDelayMs: 20, factor: 2, maxDelayMs: 80 },
      readyTimeoutMs: 60_000,
    });
    void supervisor.startAll().catch(() => undefined);
    const delays = await until("five restarts", () => {
      const d = lines.filter((l) => l.level === "warn").map((l) => l.fields.restartInMs);
      return d.length >= 5 ? d.slice(0, 5) : undefined;
    });
    expect(delays).toEqual([20, 40, 80, 80, 80]);
    expect(lines.find((l) => l.level === "warn")?.fields).toMatchObject({ code: 3 });
  });

  it("cuts a pending restart short when asked to start the service", async () => {
    supervisor = new Supervisor({
      services: await fakes({ a: "" }),
      logDir,
      restart: { initialDelayMs: 60_000 },
    });
    await supervisor.startAll();
    await supervisor.kill("a");
    supervisor.start("a");
    await supervisor.waitReady(10_000);
    expect(supervisor.status()[0]?.restarts).toBe(1);
  });

  it("stops with SIGTERM, SIGKILLs what ignores it after the grace period, and restarts nothing", async () => {
    const { log, lines } = recordingLog();
    supervisor = new Supervisor({
      services: await fakes({ polite: "", stubborn: "stubborn" }),
      logDir,
      log,
      restart: { initialDelayMs: 10 },
    });
    await supervisor.startAll();
    const pids = supervisor.status().map((s) => s.pid as number);
    const started = Date.now();
    await supervisor.stopAll(700);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(650);
    expect(supervisor.status().map((s) => s.state)).toEqual(["stopped", "stopped"]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    const killed = lines.filter((l) => l.message.includes("SIGKILL")).map((l) => l.fields.service);
    expect(killed).toEqual(["stubborn"]);
    await sleep(100);
    expect(lines.some((l) => l.message.startsWith("service exited"))).toBe(false);
    expect(() => supervisor?.start("polite")).toThrow(/stopping/);
  });
});
