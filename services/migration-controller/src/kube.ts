import { hostname } from "node:os";
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type Informer,
  KubeConfig,
  makeInformer,
  type ObjectCache,
  V1MicroTime,
  type V1Node,
  type V1Pod,
} from "@kubernetes/client-node";
import type { DrainMigration } from "./drain.ts";
import type { KubeEventSpec } from "./kube-events.ts";
import {
  apiVersion,
  type MigrationObject,
  type MigrationStatus,
  migrationResource,
} from "./resource.ts";

/** The kubeconfig named, else the pod's own service account (in the cluster). */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (path) config.loadFromFile(path);
  else config.loadFromCluster();
  return config;
}

/** The three things the controller watches, each an informer with its cache. */
export interface Watches {
  migrations: Informer<MigrationObject> & ObjectCache<MigrationObject>;
  pods: Informer<V1Pod> & ObjectCache<V1Pod>;
  nodes: Informer<V1Node> & ObjectCache<V1Node>;
}

/**
 * Informers on the Migrations and pods of the namespace shadow migrates, and on the nodes. Not
 * started: the caller subscribes first, then starts them.
 */
export function makeWatches(config: KubeConfig, namespace: string): Watches {
  const core = config.makeApiClient(CoreV1Api);
  const custom = config.makeApiClient(CustomObjectsApi);
  const { group, version, plural } = migrationResource;
  const migrations = makeInformer<MigrationObject>(
    config,
    `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
    () => custom.listNamespacedCustomObject({ group, version, namespace, plural }),
  );
  const pods = makeInformer<V1Pod>(config, `/api/v1/namespaces/${namespace}/pods`, () =>
    core.listNamespacedPod({ namespace }),
  );
  const nodes = makeInformer<V1Node>(config, "/api/v1/nodes", () => core.listNode());
  return { migrations, pods, nodes };
}

/** The controller's writes: status, finalizers, Events. */
export class MigrationWriter {
  readonly #custom: CustomObjectsApi;
  readonly #events: EventsV1Api;
  readonly #instance = hostname();

  constructor(config: KubeConfig) {
    this.#custom = config.makeApiClient(CustomObjectsApi);
    this.#events = config.makeApiClient(EventsV1Api);
  }

  /** The whole status at once (a JSON patch that sets it): the controller is its only writer. */
  async writeStatus(m: MigrationObject, status: MigrationStatus): Promise<MigrationObject> {
    return (await this.#custom.patchNamespacedCustomObjectStatus({
      ...this.#ref(m),
      body: [{ op: "add", path: "/status", value: status }],
    })) as MigrationObject;
  }

  /** Sets the finalizers, only if the object is still the version they were computed from. */
  async writeFinalizers(m: MigrationObject, finalizers: string[]): Promise<MigrationObject> {
    return (await this.#custom.patchNamespacedCustomObject({
      ...this.#ref(m),
      body: [
        { op: "test", path: "/metadata/resourceVersion", value: m.metadata.resourceVersion },
        { op: "add", path: "/metadata/finalizers", value: finalizers },
      ],
    })) as MigrationObject;
  }

  /**
   * An Event on the Migration, and the same on the pod it moves (with the Migration as the
   * related object), so `kubectl describe` of either shows what happened.
   */
  async recordEvent(m: MigrationObject, pod: V1Pod | undefined, event: KubeEventSpec) {
    const migrationRef = {
      apiVersion,
      kind: migrationResource.kind,
      name: m.metadata.name,
      namespace: m.metadata.namespace,
      uid: m.metadata.uid,
    };
    const regarding: {
      apiVersion: string;
      kind: string;
      name: string;
      namespace: string;
      uid: string;
    }[] = [migrationRef];
    if (pod?.metadata?.uid) {
      regarding.push({
        apiVersion: "v1",
        kind: "Pod",
        name: pod.metadata.name ?? "",
        namespace: pod.metadata.namespace ?? m.metadata.namespace,
        uid: pod.metadata.uid,
      });
    }
    for (const object of regarding) {
      await this.#events.createNamespacedEvent({
        namespace: m.metadata.namespace,
        body: {
          metadata: { generateName: `${object.name}.` },
          eventTime: new V1MicroTime(),
          reportingController: "shadow.io/migration-controller",
          reportingInstance: this.#instance,
          action: "Migrate",
          type: event.type,
          reason: event.reason,
          note: event.note.slice(0, 1024),
          regarding: object,
          ...(object !== migrationRef ? { related: migrationRef } : {}),
        },
      });
    }
  }

  async createMigration(m: DrainMigration): Promise<"created" | "exists"> {
    const { group, version, plural } = migrationResource;
    try {
      await this.#custom.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: m.metadata.namespace,
        body: m,
      });
      return "created";
    } catch (error) {
      if ((error as { code?: number }).code === 409) return "exists";
      throw error;
    }
  }

  #ref(m: MigrationObject) {
    const { group, version, plural } = migrationResource;
    return { group, version, plural, namespace: m.metadata.namespace, name: m.metadata.name };
  }
}
