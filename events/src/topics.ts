/**
 * The bus's namespace: empty for the bus itself; set (`SHADOW_BUS_NAMESPACE`, e.g. a test
 * run's id) to run a whole choreography on topics of its own beside another on the same broker,
 * as tests on a shared machine do. Read on each use, so a process can choose it at run time
 * before it starts anything, and passed on to the processes it starts through the environment.
 */
function namespaced(name: string): string {
  const namespace = process.env.SHADOW_BUS_NAMESPACE ?? "";
  if (namespace === "") return `shadow.${name}`;
  if (!/^[a-z0-9-]{1,40}$/.test(namespace)) {
    throw new Error(`SHADOW_BUS_NAMESPACE must be 1-40 of a-z 0-9 -, got "${namespace}"`);
  }
  return `shadow.${namespace}.${name}`;
}

/**
 * Topic names. Migration events keep every migration of a workload in one partition (key =
 * workload); the control topic carries the fence between fence-svc and the workload SDK.
 */
export const topics = {
  get migrations() {
    return namespaced("migrations.v1");
  },
  get control() {
    return namespaced("control.v1");
  },
  get pressure() {
    return namespaced("pressure.v1");
  },
  get deadLetter() {
    return namespaced("dead-letter.v1");
  },
};

export type TopicName = string;

/** Consumer group ids from one template, so every service's group is predictable. */
export function groupId(service: string, env = process.env.SHADOW_ENV ?? "local"): string {
  return `shadow.${service}.${env}`;
}
