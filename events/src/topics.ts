/**
 * Topic names. Migration events keep every migration of a workload in one partition (key =
 * workload); the control topic carries the fence between fence-svc and the workload SDK.
 */
export const topics = {
  migrations: "shadow.migrations.v1",
  control: "shadow.control.v1",
  pressure: "shadow.pressure.v1",
  deadLetter: "shadow.dead-letter.v1",
} as const;

export type TopicName = (typeof topics)[keyof typeof topics];

/** Consumer group ids from one template, so every service's group is predictable. */
export function groupId(service: string, env = process.env.SHADOW_ENV ?? "local"): string {
  return `shadow.${service}.${env}`;
}
