import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { drainMigrationName } from "./drain.ts";
import {
  decideEviction,
  EVACUATION_MESSAGE,
  type EvictionReview,
  evictionResponse,
} from "./eviction.ts";

const review = (name: string, dryRun = false): EvictionReview => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: { uid: "u-1", name, namespace: "workloads", dryRun },
});

function pod(
  name: string,
  extra: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    phase?: string;
  } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: "workloads",
      labels: { "shadow.io/workload": name, ...extra.labels },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: { nodeName: "kube-a", containers: [] },
    status: { phase: extra.phase ?? "Running" },
  };
}

describe("an eviction", () => {
  test("of a shadow pod is refused with 429 and the evacuation message, and asks for the drain's Migration", () => {
    const decision = decideEviction(review("orders-0"), pod("orders-0"), "workloads");
    expect(decision.allowed).toBe(false);
    expect(decision.migration).toMatchObject({
      kind: "Migration",
      metadata: {
        name: drainMigrationName("kube-a", "orders-0"),
        namespace: "workloads",
        labels: { "shadow.io/drained-node": "kube-a" },
      },
      spec: { pod: "orders-0" },
    });
    expect(evictionResponse(review("orders-0"), decision)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "u-1",
        allowed: false,
        status: { code: 429, reason: "TooManyRequests", message: EVACUATION_MESSAGE },
      },
    });
  });

  test("as a dry run is refused the same way and asks for nothing", () => {
    const decision = decideEviction(review("orders-0", true), pod("orders-0"), "workloads");
    expect(decision.allowed).toBe(false);
    expect(decision.migration).toBeUndefined();
  });

  test("goes ahead for a pod shadow does not move", () => {
    const cases: [string, V1Pod | undefined, string][] = [
      ["unknown", undefined, "not known"],
      [
        "never",
        pod("never", { labels: { "shadow.io/migrate": "never" } }),
        "shadow.io/migrate: never",
      ],
      [
        "pinned",
        pod("pinned", { annotations: { "karpenter.sh/do-not-disrupt": "true" } }),
        "do-not-disrupt",
      ],
      ["pending", pod("pending", { phase: "Pending" }), "not running"],
      [
        "elsewhere",
        { ...pod("elsewhere"), metadata: { ...pod("elsewhere").metadata, namespace: "other" } },
        "not in workloads",
      ],
      [
        "plain",
        { ...pod("plain"), metadata: { name: "plain", namespace: "workloads" } },
        "not a shadow workload",
      ],
    ];
    for (const [name, p, why] of cases) {
      const decision = decideEviction(review(name), p, "workloads");
      expect(decision.allowed, name).toBe(true);
      expect(decision.why, name).toContain(why);
      expect(decision.migration, name).toBeUndefined();
      expect(evictionResponse(review(name), decision).response).toEqual({
        uid: "u-1",
        allowed: true,
      });
    }
  });
});
