import { mkdir } from "node:fs/promises";
import { serve } from "@hono/node-server";
import { loadImageStoreConfig, Retention } from "@shadow/runtime/image";
import pino from "pino";
import { createAgentApp } from "./app.ts";
import type { AgentConfig } from "./config.ts";
import { Cri } from "./cri.ts";
import type { AgentDeps } from "./deps.ts";
import { AgentLayout } from "./layout.ts";
import { Lifetimes } from "./lifetimes.ts";
import { RootfsSnapshots } from "./rootfs.ts";
import { Runc } from "./runc.ts";

/**
 * The agent on its node: its state directories, the watch that ties restored processes to
 * their pods, and the HTTP API the kubernetes runtime calls.
 */
export async function startAgent(config: AgentConfig): Promise<void> {
  const log = pino({ name: "node-agent", level: config.logLevel, base: { node: config.node } });
  const layout = new AgentLayout(config.stateDir);
  for (const dir of [
    layout.runcRoot,
    layout.dumps,
    layout.images,
    layout.receivedDir,
    layout.containers,
  ]) {
    await mkdir(dir, { recursive: true });
  }
  const images = loadImageStoreConfig();
  const deps: AgentDeps = {
    config,
    layout,
    cri: new Cri(config.crictl, config.containerd.socket),
    snapshots: new RootfsSnapshots(
      config.ctr,
      config.containerd.socket,
      config.containerd.namespace,
    ),
    runc: new Runc(config.runc, layout.runcRoot, config.criu),
    images,
    retention: new Retention({
      dir: layout.retention,
      roots: [layout.root],
      budgetBytes: images.budgetBytes,
    }),
    log,
  };
  const lifetimes = new Lifetimes(deps);
  await lifetimes.start();
  const server = serve({
    fetch: createAgentApp(deps).fetch,
    hostname: config.host,
    port: config.port,
  });
  server.once("listening", () =>
    log.info({ host: config.host, port: config.port }, "node agent listening"),
  );
  const stop = () => {
    lifetimes.stop();
    server.close();
    // Restored processes live on without the agent: they belong to their pods.
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
