import type { Runtime } from "@shadow/runtime";

export interface CheckpointDeps {
  runtime: Pick<Runtime, "checkpoint">;
}
