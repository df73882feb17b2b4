import { loadAgentConfig } from "./config.ts";
import { hostRootSettings, runInHostRoot } from "./host-root.ts";
import { startAgent } from "./start-agent.ts";

// In a pod, the agent first moves into its node's mount namespace (host-root.ts); there, or
// when started on the node, it serves.
const hostRoot = hostRootSettings();
if (hostRoot) {
  const entry = process.argv[1];
  if (!entry) throw new Error("the node agent's entry file is unknown (process.argv[1])");
  process.exitCode = await runInHostRoot(hostRoot, { node: process.execPath, entry });
} else {
  await startAgent(loadAgentConfig());
}
