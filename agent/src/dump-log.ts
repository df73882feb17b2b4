import { readFile } from "node:fs/promises";

/**
 * How long CRIU kept the process frozen, from its log: from "freezing cgroup" to "Unfreezing
 * tasks" (seconds since CRIU started, on every line). Undefined when the log does not say.
 */
export function pauseFromDumpLog(log: string): number | undefined {
  const frozen = logTime(log, /^\((\d+\.\d+)\) freezing cgroup/m);
  const thawed = logTime(log, /^\((\d+\.\d+)\) Unfreezing tasks/m);
  return frozen === undefined || thawed === undefined ? undefined : thawed - frozen;
}

function logTime(log: string, re: RegExp): number | undefined {
  const m = re.exec(log);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1000;
}

export async function readDumpLog(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

/** The lines of a CRIU log that say what went wrong, for an error message. */
export async function criuComplaint(path: string): Promise<string> {
  const text = await readDumpLog(path);
  const lines = text
    .split("\n")
    .filter((l) => /Error|error/.test(l) && !l.includes("RLIMIT_NOFILE"));
  const chosen = lines.slice(-4).join(" | ").trim();
  return chosen ? ` (${path}: ${chosen})` : "";
}
