import { describe, expect, it } from "vitest";
import { lineLog } from "./supervisor-log.ts";

describe("the supervisor's records in the terminal", () => {
  it("name the service first, then the message, then the fields that are set", () => {
    const lines: string[] = [];
    const log = lineLog((line) => lines.push(line));
    log.warn(
      { service: "fence-svc", pid: 12, code: null, signal: "SIGKILL", restartInMs: 500 },
      "service exited: restarting after backoff",
    );
    log.info({ graceMs: 10_000 }, "stopping");
    expect(lines).toEqual([
      "  fence-svc: service exited: restarting after backoff (pid=12 signal=SIGKILL restartInMs=500)",
      "  supervisor: stopping (graceMs=10000)",
    ]);
  });
});
