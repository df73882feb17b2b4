import type { StepEnv } from "@shadow/migration";
import type { Runtime } from "@shadow/runtime";

export interface ImageDeps {
  runtime: Pick<Runtime, "buildImage" | "archiveImages" | "release">;
  /** Clock and deadline of the step wrapper (runStep). */
  step: StepEnv;
}
