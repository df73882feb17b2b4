import { type HealthReport, healthReport } from "@shadow/host/health";

/**
 * Asks a process's `/ready`: its report when it answers 200 from the expected pid, else
 * undefined. The pid check matters after a restart: a stale process still bound to the port
 * must not make the new one look ready.
 */
export async function readyReport(
  healthUrl: string,
  pid: number,
  timeoutMs = 1_000,
): Promise<HealthReport | undefined> {
  try {
    const res = await fetch(`${healthUrl}/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return undefined;
    }
    const parsed = healthReport.safeParse(await res.json());
    return parsed.success && parsed.data.pid === pid ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
