import { mkdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { defaultRestartPolicy } from "./backoff.ts";
import { SupervisedProcess } from "./supervised-process.ts";
import type { RestartPolicy, ServiceSpec, ServiceStatus, SupervisorLog } from "./types.ts";

export interface SupervisorOptions {
  services: readonly ServiceSpec[];
  /** Each service appends its output to `<logDir>/<name>.log`. */
  logDir: string;
  log?: SupervisorLog;
  restart?: Partial<RestartPolicy>;
  /** How long a service has to stop after SIGTERM before it gets SIGKILL. */
  stopGraceMs?: number;
  /** How long `startAll` waits for every service to be ready. */
  readyTimeoutMs?: number;
  readyPollMs?: number;
}

const quiet: SupervisorLog = { info: () => undefined, warn: () => undefined };

/**
 * Keeps a set of services running as child processes: starts them, knows each one ready by
 * its `/ready`, restarts one that dies (capped exponential backoff, a log line each time), and
 * on `stopAll` stops restarting, sends SIGTERM, and sends SIGKILL after a grace period.
 *
 * @example
 * const supervisor = new Supervisor({ services: choreography(config).services, logDir });
 * await supervisor.startAll();
 * process.once("SIGTERM", () => void supervisor.stopAll());
 */
export class Supervisor {
  readonly #processes = new Map<string, SupervisedProcess>();
  readonly #stopGraceMs: number;
  readonly #readyTimeoutMs: number;
  #stopping: Promise<void> | undefined;
  readonly #killOnExit = () => {
    for (const p of this.#processes.values()) p.killNow();
  };

  constructor(options: SupervisorOptions) {
    mkdirSync(options.logDir, { recursive: true });
    this.#stopGraceMs = options.stopGraceMs ?? 10_000;
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
    for (const spec of options.services) {
      if (this.#processes.has(spec.name)) throw new Error(`service ${spec.name} listed twice`);
      this.#processes.set(
        spec.name,
        new SupervisedProcess(spec, {
          logDir: options.logDir,
          log: options.log ?? quiet,
          restart: { ...defaultRestartPolicy, ...options.restart },
          readyPollMs: options.readyPollMs ?? 200,
        }),
      );
    }
  }

  /** Starts every service and waits until all are ready; stops them all if that fails. */
  async startAll(): Promise<void> {
    // Children must not outlive this process, whatever way it ends (they also watch for it).
    process.once("exit", this.#killOnExit);
    for (const p of this.#processes.values()) p.start();
    try {
      await this.waitReady();
    } catch (error) {
      await this.stopAll();
      throw error;
    }
  }

  /** Resolves once every service's current process is ready. */
  async waitReady(timeoutMs = this.#readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#stopping) throw new Error("the supervisor is stopping");
      const statuses = this.status();
      if (statuses.every((s) => s.state === "ready")) return;
      if (Date.now() > deadline) {
        const waiting = statuses
          .filter((s) => s.state !== "ready")
          .map((s) => `${s.name} ${s.state} after ${s.restarts} restarts (see ${s.logFile})`);
        throw new Error(`services not ready after ${timeoutMs} ms: ${waiting.join("; ")}`);
      }
      await sleep(100);
    }
  }

  /** Starts a service that is not running now, cutting short a pending restart's backoff. */
  start(name: string): void {
    if (this.#stopping) throw new Error("the supervisor is stopping");
    this.#process(name).start();
  }

  /**
   * Sends a signal (SIGKILL by default) to a service and waits until it exited. The
   * supervisor restarts it as it would any service that died.
   */
  kill(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    return this.#process(name).signal(signal);
  }

  /** Kill, start again at once, and wait until everything is ready. */
  async restart(name: string): Promise<void> {
    await this.kill(name);
    this.start(name);
    await this.waitReady();
  }

  status(): ServiceStatus[] {
    return [...this.#processes.values()].map((p) => p.status());
  }

  /** The service's Prometheus endpoint, once its current process is ready. */
  metricsUrl(name: string): string | undefined {
    return this.#process(name).status().metricsUrl;
  }

  /** Stops restarting, then stops every service (SIGTERM; SIGKILL after the grace period). */
  stopAll(graceMs = this.#stopGraceMs): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.#processes.values()].map((p) => p.stop(graceMs)));
      process.off("exit", this.#killOnExit);
    })();
    return this.#stopping;
  }

  /** SIGKILL to every service now (a second Ctrl-C); `stopAll` then resolves at once. */
  killAll(): void {
    for (const p of this.#processes.values()) p.killNow();
  }

  #process(name: string): SupervisedProcess {
    const p = this.#processes.get(name);
    if (!p) throw new Error(`no service ${name} (${[...this.#processes.keys()].join(", ")})`);
    return p;
  }
}
