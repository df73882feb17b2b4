import { type Handlers, NodePressureDetected } from "@shadow/events";
import type { PressureDeps } from "./deps.ts";
import { onNodePressureDetected } from "./handlers/node-pressure-detected.ts";

export const serviceName = "pressure-svc";

/** pressure-svc: turns a node under pressure into the migrations its policy picks. */
export const pressureHandlers: Handlers<PressureDeps> = {
  [NodePressureDetected.type]: onNodePressureDetected,
};
