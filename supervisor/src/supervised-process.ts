import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { nextAttempt, restartDelay } from "./backoff.ts";
import { readyReport } from "./health-client.ts";
import type {
  RestartPolicy,
  ServiceSpec,
  ServiceState,
  ServiceStatus,
  SupervisorLog,
} from "./types.ts";

export interface SupervisedProcessOptions {
  logDir: string;
  log: SupervisorLog;
  restart: RestartPolicy;
  readyPollMs: number;
}

/**
 * One service kept running: spawned with its output appended to its own log file, ready once
 * its `/ready` answers from its pid, restarted with capped exponential backoff whenever it
 * exits unasked, and stopped with SIGTERM, then SIGKILL after a grace period.
 */
export class SupervisedProcess {
  readonly spec: ServiceSpec;
  readonly logFile: string;
  readonly #options: SupervisedProcessOptions;
  #state: ServiceState = "stopped";
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #restartTimer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #spawns = 0;
  #readyAt: number | undefined;
  #metricsUrl: string | undefined;

  constructor(spec: ServiceSpec, options: SupervisedProcessOptions) {
    this.spec = spec;
    this.#options = options;
    this.logFile = join(options.logDir, `${spec.name}.log`);
  }

  status(): ServiceStatus {
    return {
      name: this.spec.name,
      state: this.#state,
      ...(this.#child?.pid !== undefined && this.#child.exitCode === null
        ? { pid: this.#child.pid }
        : {}),
      restarts: Math.max(0, this.#spawns - 1),
      healthUrl: this.spec.healthUrl,
      ...(this.#metricsUrl ? { metricsUrl: this.#metricsUrl } : {}),
      logFile: this.logFile,
    };
  }

  /** Starts the process now: when stopped, or cutting short a restart's backoff. */
  start(): void {
    if (this.#state === "starting" || this.#state === "ready" || this.#state === "stopping") return;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#spawn();
  }

  /** Sends `signal` and waits for the exit; the restart policy decides what follows. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = this.#exited;
    child.kill(signal);
    await exited;
  }

  /** Stops for good: no restart; SIGTERM, then SIGKILL once `graceMs` has passed. */
  async stop(graceMs: number): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#state = "stopped";
      return;
    }
    this.#state = "stopping";
    const exited = this.#exited;
    child.kill("SIGTERM");
    const timer = setTimeout(() => {
      this.#options.log.warn(
        { service: this.spec.name, pid: child.pid, graceMs },
        "service did not stop within its grace period: SIGKILL",
      );
      child.kill("SIGKILL");
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL at once, without waiting (the supervisor's own process is exiting). */
  killNow(): void {
    clearTimeout(this.#restartTimer);
    this.#state = "stopped";
    this.#child?.kill("SIGKILL");
  }

  #spawn(): void {
    const { spec } = this;
    // The child writes straight into its log file: its output does not pass through this
    // process, and survives this process dying.
    const out = openSync(this.logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env, SHADOW_SUPERVISOR_PID: String(process.pid) },
        stdio: ["ignore", out, out],
        // Its own process group: a Ctrl-C in the terminal reaches the supervisor only, which then
        // stops the services in its own order instead of all of them dying at once.
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    this.#child = child;
    this.#spawns++;
    this.#state = "starting";
    this.#readyAt = undefined;
    this.#metricsUrl = undefined;
    this.#exited = new Promise((resolve) => {
      let done = false;
      const onEnd = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        if (done) return;
        done = true;
        this.#exitedWith(child, code, signal, error);
        resolve();
      };
      child.once("exit", (code, signal) => onEnd(code, signal));
      child.once("error", (error) => onEnd(null, null, error));
    });
    void this.#watchReadiness(child);
  }

  async #watchReadiness(child: ChildProcess): Promise<void> {
    const pid = child.pid;
    if (pid === undefined) return;
    while (this.#child === child && this.#state === "starting") {
      const report = await readyReport(this.spec.healthUrl, pid);
      if (report && this.#child === child && this.#state === "starting") {
        this.#state = "ready";
        this.#readyAt = Date.now();
        this.#metricsUrl = report.metrics;
        this.#options.log.info(
          {
            service: this.spec.name,
            pid,
            health: this.spec.healthUrl,
            ...(report.metrics ? { metrics: report.metrics } : {}),
            restarts: this.#spawns - 1,
          },
          "service ready",
        );
        return;
      }
      await sleep(this.#options.readyPollMs);
    }
  }

  #exitedWith(
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    error: Error | undefined,
  ): void {
    if (this.#child !== child) return;
    const readyForMs = this.#readyAt === undefined ? undefined : Date.now() - this.#readyAt;
    this.#readyAt = undefined;
    if (this.#state === "stopping" || this.#state === "stopped") {
      this.#state = "stopped";
      return;
    }
    const { restart, log } = this.#options;
    this.#attempt = nextAttempt(restart, this.#attempt, readyForMs);
    const delayMs = restartDelay(restart, this.#attempt);
    this.#state = "backoff";
    log.warn(
      {
        service: this.spec.name,
        pid: child.pid,
        code,
        signal,
        ...(error ? { error: error.message } : {}),
        restartInMs: delayMs,
        attempt: this.#attempt,
        log: this.logFile,
      },
      "service exited: restarting after backoff",
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#spawn();
    }, delayMs);
  }
}
