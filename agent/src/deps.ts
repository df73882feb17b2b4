import type { ImageStoreConfig, Retention } from "@shadow/runtime/image";
import type { Logger } from "pino";
import type { AgentConfig } from "./config.ts";
import type { Cri } from "./cri.ts";
import type { AgentLayout } from "./layout.ts";
import type { RootfsSnapshots } from "./rootfs.ts";
import type { Runc } from "./runc.ts";

/** What every operation of the agent works with: its node's runtime and its own state. */
export interface AgentDeps {
  config: AgentConfig;
  layout: AgentLayout;
  cri: Cri;
  snapshots: RootfsSnapshots;
  runc: Runc;
  images: ImageStoreConfig;
  retention: Retention;
  log: Logger;
}
