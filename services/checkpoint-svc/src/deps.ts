import type { StepEnv } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";

export interface CheckpointDeps {
  runtime: Pick<Runtime, "checkpoint">;
  /** Clock and deadline of the step wrapper (runStep). */
  step: StepEnv;
}
