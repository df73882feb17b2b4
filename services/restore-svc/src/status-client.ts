import type { Runtime } from "@shadow/runtime";
import { z } from "zod";
import type { InstanceProgress } from "./deps.ts";
import { InstanceGoneError } from "./instance-gone.ts";

/** The part of the workload SDK's `GET /status` that says how far an instance has processed. */
const statusBody = z.object({
  processed: z.array(z.object({ topic: z.string(), partition: z.number(), offset: z.number() })),
});

/** Reads an instance's processed offsets from the workload SDK's `GET /status`. */
export function statusClient(runtime: Pick<Runtime, "inspect">) {
  return async (instance: string): Promise<InstanceProgress> => {
    const info = await runtime.inspect(instance);
    if (!info || info.state === "stopped") throw new InstanceGoneError(instance);
    const res = await fetch(`http://${info.endpoint}/status`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) throw new Error(`status of ${instance}: HTTP ${res.status}`);
    return { offsets: statusBody.parse(await res.json()).processed };
  };
}
