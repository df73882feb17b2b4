/** One process the supervisor keeps running. */
export interface ServiceSpec {
  name: string;
  /** The program, e.g. process.execPath. */
  command: string;
  args: readonly string[];
  /** Added to the supervisor's own environment. */
  env: Record<string, string>;
  /** Base URL of the process's `/health` and `/ready` (it binds the port it is given in env). */
  healthUrl: string;
  cwd?: string;
}

/** How a process that died is started again: exponential backoff with a cap. */
export interface RestartPolicy {
  /** Delay before the first restart after a process died. */
  initialDelayMs: number;
  /** Each further restart in a row waits this many times longer... */
  factor: number;
  /** ...up to this. */
  maxDelayMs: number;
  /** A process that was ready this long before it died starts the count again. */
  resetAfterMs: number;
}

/** pino-compatible (object first), so a pino logger can be passed as is. */
export interface SupervisorLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * `starting`: spawned, not ready yet. `ready`: its `/ready` answered 200. `backoff`: died,
 * waiting to be restarted. `stopping`: told to stop. `stopped`: not running, not to be restarted.
 */
export type ServiceState = "starting" | "ready" | "backoff" | "stopping" | "stopped";

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  pid?: number;
  /** Restarts since the supervisor started it first. */
  restarts: number;
  healthUrl: string;
  /** Where Prometheus scrapes it, as its health report said. */
  metricsUrl?: string;
  logFile: string;
}
