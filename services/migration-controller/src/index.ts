export { type ClusterView, type Decision, decide, workloadOf } from "./decide.ts";
export { DRAIN_LABEL, type DrainMigration, drainMigrationName, drainMigrations } from "./drain.ts";
export { migrationIdFor } from "./ids.ts";
export { eventsBetween, type KubeEventSpec } from "./kube-events.ts";
export { type Plan, type PlanInput, plan } from "./plan.ts";
export {
  apiVersion,
  type MigrationObject,
  type MigrationStatus,
  migrationResource,
  ROLLBACK_FINALIZER,
} from "./resource.ts";
export { statusFromView } from "./status.ts";
