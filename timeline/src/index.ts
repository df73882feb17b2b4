export { binActivity, copyName } from "./activity.ts";
export { timelineOf } from "./from-view.ts";
export { renderTimelineSvg } from "./render-svg.ts";
export { longestStall, unconsumedStretches } from "./stall.ts";
export type {
  CopyActivity,
  LagReading,
  MigrationSamples,
  ProgressSample,
  Timeline,
  TimelineStall,
} from "./types.ts";
