export { binActivity, copyName } from "./activity.ts";
export { timelineOf } from "./from-view.ts";
export { renderTimelineSvg } from "./render-svg.ts";
export type {
  CopyActivity,
  LagReading,
  MigrationSamples,
  ProgressSample,
  Timeline,
} from "./types.ts";
