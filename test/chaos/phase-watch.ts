import type { MigrationView } from "@shadow/migration";
import type { ScenarioEnvironment } from "@shadow/scenario";

/**
 * Resolves as soon as the gateway's view of the migration enters `phase` of `round`, through
 * its server-sent events (`GET /migrations/:id/events`): a fault injected then lands in that
 * phase, even one that lasts 60 ms. Rejects if the migration ends, or passes the phase, first.
 */
export async function waitForPhase(
  env: ScenarioEnvironment,
  migrationId: string,
  round: 1 | 2,
  phase: MigrationView["phase"],
  timeoutMs = 120_000,
): Promise<MigrationView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${env.gatewayUrl}/migrations/${migrationId}/events`, {
      headers: { authorization: `Bearer ${env.token}` },
      signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
    });
    // The gateway knows a migration once it has read its request back from the log.
    if (response.status === 404) {
      await response.body?.cancel();
      if (Date.now() > deadline) throw new Error(`migration ${migrationId} unknown`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    if (!response.ok || !response.body) {
      throw new Error(`GET /migrations/${migrationId}/events: HTTP ${response.status}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the event stream of ${migrationId} ended before ${phase}`);
        const lines = (pending + value).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (!line.startsWith("data: {")) continue;
          const view = JSON.parse(line.slice("data: ".length)) as MigrationView;
          if (view.round === round && view.phase === phase) return view;
          if (passed(view, round, phase)) {
            throw new Error(
              `migration ${migrationId} was past round ${round} ${phase} (${view.status}, round ${view.round} ${view.phase}) when watched`,
            );
          }
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }
}

function passed(view: MigrationView, round: 1 | 2, phase: MigrationView["phase"]): boolean {
  if (view.status !== "running") return true;
  return view.phases.some((p) => p.round === round && p.phase === phase && p.ms !== undefined);
}
