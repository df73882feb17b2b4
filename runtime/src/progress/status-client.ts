import { statusBody } from "@shadow/contract";
import type { Runtime } from "../types.ts";
import { InstanceGoneError } from "./instance-gone.ts";
import type { InstanceProgress } from "./instance-progress.ts";

/**
 * The field of the contract's status body that says how far an instance has processed, and the
 * SDK's reading of its source's committed progress when it is a shadow.
 */
const progressOf = statusBody.pick({ processed: true }).extend({
  sourceCommitted: statusBody.shape.processed.optional(),
  mode: statusBody.shape.mode.optional(),
});

/**
 * Reads an instance's processed offsets from the workload SDK's `GET /status`. restore-svc's
 * catch-up watch asks every 20 ms, and asking the runtime where an instance is costs a process
 * (`runc state`) on the node that is serving: the answer is kept for `endpointTtlMs`, and
 * looked up again at once when a poll fails (the instance may be gone, or a new one may carry
 * the name, as in an identity swap's second round).
 */
export function statusClient(runtime: Pick<Runtime, "inspect">, endpointTtlMs = 1_000) {
  const known = new Map<string, { endpoint: string; at: number }>();
  const locate = async (instance: string): Promise<string> => {
    const info = await runtime.inspect(instance);
    if (!info || info.state === "stopped") {
      known.delete(instance);
      throw new InstanceGoneError(instance);
    }
    known.set(instance, { endpoint: info.endpoint, at: Date.now() });
    return info.endpoint;
  };
  return async (instance: string): Promise<InstanceProgress> => {
    const cached = known.get(instance);
    const endpoint =
      cached && Date.now() - cached.at < endpointTtlMs ? cached.endpoint : await locate(instance);
    try {
      const res = await fetch(`http://${endpoint}/status`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`status of ${instance}: HTTP ${res.status}`);
      const body = progressOf.parse(await res.json());
      return {
        offsets: body.processed,
        ...(body.sourceCommitted ? { sourceCommitted: body.sourceCommitted } : {}),
        ...(body.mode ? { mode: body.mode } : {}),
      };
    } catch (error) {
      known.delete(instance);
      await locate(instance); // throws InstanceGoneError when it is gone
      throw error;
    }
  };
}
