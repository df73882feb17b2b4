import type { StepEnv } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";

export interface DrainDeps {
  runtime: Pick<Runtime, "inspect" | "remove" | "release" | "setCpuPriority">;
  now(): number;
  /** Clock and deadline of the step wrapper (runStep). */
  step: StepEnv;
}
