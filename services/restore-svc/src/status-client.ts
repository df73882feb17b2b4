import type { Runtime } from "@shadow/runtime";
import { z } from "zod";
import type { InstanceProgress } from "./deps.ts";

const statusBody = z.object({
  offsets: z.array(z.object({ topic: z.string(), partition: z.number(), offset: z.number() })),
});

/** Reads an instance's processed offsets from the workload SDK's `GET /status`. */
export function statusClient(runtime: Pick<Runtime, "inspect">) {
  return async (instance: string): Promise<InstanceProgress> => {
    const info = await runtime.inspect(instance);
    if (!info) throw new Error(`instance ${instance} is gone`);
    const res = await fetch(`http://${info.endpoint}/status`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!res.ok) throw new Error(`status of ${instance}: HTTP ${res.status}`);
    return statusBody.parse(await res.json());
  };
}
