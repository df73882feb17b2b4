import type { ClusterInfo } from "./cluster-info.ts";

// What test/setup/cluster.ts hands to the `kubernetes` project's tests: `inject("cluster")`.
declare module "vitest" {
  export interface ProvidedContext {
    /**
     * The local Kubernetes cluster (deploy/cluster/cluster.sh info): set in the `kubernetes`
     * project only, hence optional.
     */
    cluster?: ClusterInfo;
  }
}
