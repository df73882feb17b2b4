import type { SupervisorLog } from "@shadow/supervisor";

/** `key=value` pairs, strings bare, anything else as JSON. */
function pairs(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

/**
 * The supervisor's records as lines a person reads in a terminal, service first:
 * `  fence-svc: service exited: restarting after backoff (signal=SIGKILL restartInMs=500 …)`.
 */
export function lineLog(out: (line: string) => void): SupervisorLog {
  const write = (fields: Record<string, unknown>, message: string) => {
    const { service, ...rest } = fields;
    const details = pairs(rest);
    out(
      `  ${typeof service === "string" ? service : "supervisor"}: ${message}${details ? ` (${details})` : ""}`,
    );
  };
  return { info: write, warn: write };
}
