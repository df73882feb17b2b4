import { z } from "zod";
import type { Runtime } from "./types.ts";

const runtimeEnv = z.object({
  SHADOW_RUNTIME: z
    .enum(["local", "kubernetes"], { message: "SHADOW_RUNTIME must be local or kubernetes" })
    .default("local"),
});

/**
 * The runtime a service process uses, chosen by SHADOW_RUNTIME at start-up. The one place
 * that names an adapter: services receive the port and never import one.
 */
export async function runtimeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const parsed = runtimeEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(`invalid runtime configuration: ${parsed.error.issues[0]?.message}`);
  if (parsed.data.SHADOW_RUNTIME === "kubernetes") {
    const { createKubernetesRuntime, loadKubernetesRuntimeConfig } = await import(
      "./kubernetes/index.ts"
    );
    return createKubernetesRuntime(loadKubernetesRuntimeConfig(env));
  }
  const { createLocalRuntime } = await import("./local/index.ts");
  return createLocalRuntime();
}
