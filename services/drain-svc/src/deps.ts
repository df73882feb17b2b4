import type { Runtime } from "@shadow/runtime";

export interface DrainDeps {
  runtime: Pick<Runtime, "inspect" | "remove" | "release" | "setCpuPriority">;
  now(): number;
}
