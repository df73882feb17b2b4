import { z } from "zod";

/**
 * What the local Kubernetes cluster provides, as `deploy/cluster/cluster.sh info` prints it
 * (deploy/cluster/README.md explains every field).
 */
export const clusterNodeSchema = z.object({
  name: z.string(),
  ip: z.string(),
  podCidr: z.string(),
  kubeletPort: z.number(),
  containerdSocket: z.string(),
  containerdNamespace: z.string(),
  kubeletRoot: z.string(),
  checkpointDir: z.string(),
  runcRoot: z.string(),
  cgroupRoot: z.string(),
  crictlConfig: z.string(),
});
export type ClusterNode = z.infer<typeof clusterNodeSchema>;

export const clusterInfoSchema = z.object({
  kubernetesVersion: z.string(),
  apiServer: z.string(),
  kubeconfig: z.string(),
  caFile: z.string(),
  bridge: z.string(),
  gateway: z.string(),
  nodes: z.array(clusterNodeSchema).min(1),
  fakeNodeAnnotation: z.record(z.string(), z.string()),
  criuCheckpointConfig: z.string(),
  criuConfigAnnotation: z.string(),
  images: z.object({ pause: z.string(), workload: z.string() }),
  tools: z.object({ kubectl: z.string(), crictl: z.string(), ctr: z.string() }),
});
export type ClusterInfo = z.infer<typeof clusterInfoSchema>;
