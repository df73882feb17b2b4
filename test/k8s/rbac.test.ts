import { beforeAll, describe, expect, inject, test } from "vitest";
import {
  applyOverlay,
  SHADOW_NAMESPACE,
  type ShadowKube,
  shadowKube,
  WORKLOADS_NAMESPACE,
} from "./shadow-install.ts";

// Least privilege, asked of the API server itself: for every ServiceAccount of shadow, a
// SubjectAccessReview of each thing it needs (allowed) and of things it must not do (denied).
// The answers come from the roles and bindings `kubectl apply -k` installed, nothing else.

interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  /** Absent: cluster-scoped (nodes) or every namespace. */
  namespace?: string;
}

const W = WORKLOADS_NAMESPACE;
const S = SHADOW_NAMESPACE;

const readNodes: Access[] = ["get", "list", "watch"].map((verb) => ({ verb, resource: "nodes" }));
const readPods: Access[] = ["get", "list", "watch"].map((verb) => ({
  verb,
  resource: "pods",
  namespace: W,
}));
const readSets: Access[] = ["statefulsets", "replicasets", "controllerrevisions"].map((r) => ({
  verb: "list",
  resource: r,
  group: "apps",
  namespace: W,
}));
const reader = [...readNodes, ...readPods, ...readSets];

/** Nobody in shadow holds these, whatever its job. */
const nobody: Access[] = [
  { verb: "get", resource: "secrets", namespace: S },
  { verb: "list", resource: "secrets", namespace: W },
  { verb: "create", resource: "pods", subresource: "exec", namespace: W },
  { verb: "patch", resource: "nodes" },
  { verb: "delete", resource: "nodes" },
  { verb: "create", resource: "clusterrolebindings", group: "rbac.authorization.k8s.io" },
  { verb: "escalate", resource: "clusterroles", group: "rbac.authorization.k8s.io" },
  { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: S },
  { verb: "delete", resource: "deployments", group: "apps", namespace: S },
  // Outside the workloads' namespace, the pod powers do not reach.
  { verb: "delete", resource: "pods", namespace: "default" },
  { verb: "create", resource: "pods", namespace: "kube-system" },
  { verb: "delete", resource: "pods", namespace: S },
];

const checkpoint: Access = { verb: "create", resource: "nodes", subresource: "proxy" };
const podMaking: Access[] = [
  { verb: "create", resource: "pods", namespace: W },
  { verb: "delete", resource: "pods", namespace: W },
  { verb: "patch", resource: "pods", namespace: W },
  { verb: "update", resource: "statefulsets", group: "apps", namespace: W },
  { verb: "delete", resource: "controllerrevisions", group: "apps", namespace: W },
];
const migrations: Access[] = [
  ...["get", "list", "watch", "create", "patch", "update"].map((verb) => ({
    verb,
    resource: "migrations",
    group: "shadow.io",
    namespace: W,
  })),
  {
    verb: "patch",
    resource: "migrations",
    group: "shadow.io",
    subresource: "status",
    namespace: W,
  },
  {
    verb: "update",
    resource: "migrations",
    group: "shadow.io",
    subresource: "finalizers",
    namespace: W,
  },
  { verb: "create", resource: "events", group: "events.k8s.io", namespace: W },
];

/** Per ServiceAccount: what it needs, and what it must not have beyond `nobody`. */
const accounts: Record<string, { allowed: Access[]; denied: Access[] }> = {
  gateway: {
    allowed: reader,
    denied: [checkpoint, ...podMaking, ...migrations.slice(3)],
  },
  "admission-svc": {
    allowed: reader,
    denied: [checkpoint, ...podMaking, ...migrations.slice(3)],
  },
  "checkpoint-svc": {
    allowed: [...reader, checkpoint],
    denied: [...podMaking, ...migrations.slice(3)],
  },
  "image-svc": {
    allowed: reader,
    denied: [checkpoint, ...podMaking, ...migrations.slice(3)],
  },
  "restore-svc": {
    allowed: [...reader, ...podMaking],
    denied: [checkpoint, ...migrations.slice(3)],
  },
  "drain-svc": {
    allowed: [...reader, ...podMaking.filter((a) => a.verb !== "create")],
    denied: [
      checkpoint,
      { verb: "create", resource: "pods", namespace: W },
      ...migrations.slice(3),
    ],
  },
  "fence-svc": {
    // It speaks only Kafka: not even a read.
    allowed: [],
    denied: [...reader, checkpoint, ...podMaking, ...migrations],
  },
  "migration-controller": {
    allowed: [...readNodes, ...readPods, ...migrations],
    denied: [
      checkpoint,
      ...podMaking,
      // Its Migrations live in the workloads' namespace only (it creates them there for the
      // pods of a cordoned node), and it never deletes one.
      { verb: "delete", resource: "migrations", group: "shadow.io", namespace: W },
      { verb: "create", resource: "migrations", group: "shadow.io", namespace: "default" },
      { verb: "list", resource: "migrations", group: "shadow.io", namespace: "default" },
    ],
  },
  "pressure-svc": {
    allowed: [...readNodes, ...readPods, { verb: "get", resource: "nodes", subresource: "proxy" }],
    denied: [checkpoint, ...podMaking, ...migrations.slice(3)],
  },
  "node-agent": {
    // Node-local powers: which pods it may patch is bounded to its node by an admission policy
    // (node-agent-policy.yaml), which RBAC alone cannot express.
    allowed: [...readNodes, ...readPods, { verb: "patch", resource: "pods", namespace: W }],
    denied: [
      checkpoint,
      { verb: "create", resource: "pods", namespace: W },
      { verb: "delete", resource: "pods", namespace: W },
      ...migrations.slice(3),
    ],
  },
};

const cluster = providedCluster();
const kube: ShadowKube = shadowKube(cluster.kubeconfig);

function providedCluster() {
  const info = inject("cluster");
  if (!info) throw new Error("no cluster provided: run this file in the kubernetes project");
  return info;
}

async function allowed(account: string, a: Access): Promise<boolean> {
  const review = await kube.authorization.createSubjectAccessReview({
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: `system:serviceaccount:${S}:shadow-${account}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${S}`, "system:authenticated"],
        resourceAttributes: {
          verb: a.verb,
          resource: a.resource,
          group: a.group ?? "",
          ...(a.subresource ? { subresource: a.subresource } : {}),
          ...(a.namespace ? { namespace: a.namespace } : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

function describeAccess(a: Access): string {
  const what = `${a.group ? `${a.group}/` : ""}${a.resource}${a.subresource ? `/${a.subresource}` : ""}`;
  return `${a.verb} ${what}${a.namespace ? ` in ${a.namespace}` : ""}`;
}

beforeAll(async () => {
  await applyOverlay(cluster);
});

describe("each ServiceAccount of shadow can do what it needs and no more", () => {
  for (const [account, { allowed: needs, denied }] of Object.entries(accounts)) {
    test(`shadow-${account}`, async () => {
      const answers = async (list: Access[]) =>
        Object.fromEntries(
          await Promise.all(
            list.map(async (a) => [describeAccess(a), await allowed(account, a)] as const),
          ),
        );
      const granted = await answers(needs);
      const refused = await answers([...denied, ...nobody]);
      expect(granted, "needed and allowed").toEqual(
        Object.fromEntries(Object.keys(granted).map((k) => [k, true])),
      );
      expect(refused, "must not have").toEqual(
        Object.fromEntries(Object.keys(refused).map((k) => [k, false])),
      );
    });
  }

  test("the list covers every ServiceAccount the install makes", async () => {
    const made = await kube.core.listNamespacedServiceAccount({
      namespace: S,
      labelSelector: "app.kubernetes.io/part-of=shadow",
    });
    const names = made.items.map((a) => a.metadata?.name?.replace(/^shadow-/, "")).sort();
    expect(names).toEqual(Object.keys(accounts).sort());
  });

  test("an account that is not shadow's gets none of it (the review can say no)", async () => {
    expect(await allowed("nobody-at-all", checkpoint)).toBe(false);
    expect(await allowed("nobody-at-all", readNodes[0] as Access)).toBe(false);
  });
});
