import type { Runtime } from "@shadow/runtime";

export interface ImageDeps {
  runtime: Pick<Runtime, "buildImage" | "release">;
}
