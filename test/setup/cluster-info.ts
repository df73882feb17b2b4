/**
 * What the local Kubernetes cluster provides, as `deploy/cluster/cluster.sh info` prints it: the
 * supervisor package reads it for the demo too (deploy/cluster/README.md explains every field).
 */
export {
  type AgentsInfo,
  agentsInfoSchema,
  type ClusterInfo,
  type ClusterNode,
  clusterInfoSchema,
  clusterNodeSchema,
} from "@shadow/supervisor";
