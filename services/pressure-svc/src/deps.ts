import type { Logger } from "@shadow/otel/logger";
import type { MigrationLog } from "./log/migration-log.ts";
import type { Condition } from "./policy/conditions.ts";
import type { PolicyConfig } from "./policy/config.ts";
import type { SignalSource } from "./signals/types.ts";

/** What pressure-svc's handler works with: ports, the watcher's view, the policy's knobs, a clock. */
export interface PressureDeps {
  signals: SignalSource;
  log: Pick<MigrationLog, "upToDate">;
  /** The conditions that hold now, as the watcher's hysteresis sees them. */
  conditions(): readonly Condition[];
  config: PolicyConfig;
  now(): Date;
  logger?: Logger;
}
