import { setPriority } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { buildOutgoing, deriveEventId, topicFor, topics } from "@shadow/events";
import { loadConfig, type RunningService, runService, stepEnv } from "@shadow/host";
import { LogLedger } from "@shadow/migration";
import { createLogger } from "@shadow/otel/logger";
import { statusClient } from "@shadow/runtime";
import { runtimeFromEnv } from "@shadow/runtime/from-env";
import { fenceUnderWayIn } from "./catch-up/fence-under-way.ts";
import { CatchUpWatcher } from "./catch-up/watcher.ts";
import { restoreEnv } from "./config.ts";
import { restoreAfterEnd, restoreHandlers, serviceName } from "./service.ts";

const env = loadConfig(serviceName, restoreEnv);
setPriority(env.SHADOW_RESTORE_NICE);
const runtime = await runtimeFromEnv();
const log = createLogger({ name: serviceName, level: env.SHADOW_LOG_LEVEL });
// The gate's ledger: what the log says of each migration, which the watches read too.
const ledger = new LogLedger();
let service: RunningService | undefined;
const progress = statusClient(runtime);
const catchUps = new CatchUpWatcher(
  {
    runtime,
    progress,
    catchUpThreshold: env.SHADOW_CATCH_UP_THRESHOLD,
    catchUpTimeoutMs: env.SHADOW_CATCH_UP_TIMEOUT_MS,
    pollIntervalMs: env.SHADOW_CATCH_UP_POLL_MS,
    convergeWindowMs: env.SHADOW_CONVERGE_WINDOW_MS,
    fenceBudgetMs: env.SHADOW_FENCE_BUDGET_MS,
    maxFenceExtraMs: env.SHADOW_FENCE_MAX_EXTRA_MS,
    shadowSilenceMs: env.SHADOW_FENCE_SHADOW_SILENCE_MS,
    sleep: (ms) => sleep(ms),
    now: () => Date.now(),
    log,
  },
  async (events, cause, first = 0) => {
    if (!service) throw new Error("restore-svc is still starting");
    const { publisher } = service;
    // Ids as the handler of `cause` would have given them: sent twice, they are one event.
    await publisher.send(
      events.map((out, index) => ({
        topic: out.topic ?? topicFor(out.type),
        event: buildOutgoing(out, {
          source: publisher.source,
          id: deriveEventId(cause.source, cause.id, first + index),
        }),
      })),
    );
  },
  (migrationId) => ledger.migration(migrationId)?.stage === "admitted",
  fenceUnderWayIn(ledger),
);
service = await runService({
  name: serviceName,
  topics: [topics.migrations],
  handlers: restoreHandlers,
  afterEnd: restoreAfterEnd,
  ledger,
  deps: { runtime, step: stepEnv(env, log), catchUps, progress },
  env,
  onStop: () => catchUps.stopAll(),
});
// The catch-ups a previous run left under way, from the log folded at start.
log.info({ resumed: catchUps.resume(ledger) }, "catch-up watches taken up");
