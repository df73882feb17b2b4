import type { Runtime } from "@shadow/runtime";

/**
 * The copy of a workload that serves, as the runtime has it now: `preferred` (a handoff's
 * source) when it runs, else the workload's running instance whose identity says primary, else
 * its only running one. None when nothing of the workload runs.
 */
export async function servingCopy(
  runtime: Pick<Runtime, "inspect" | "list">,
  workload: string,
  preferred: string,
): Promise<{ instance: string; node: string } | undefined> {
  const first = await runtime.inspect(preferred);
  if (first?.state === "running" && first.workload === workload) {
    return { instance: first.instance, node: first.node };
  }
  const running = (await runtime.list()).filter(
    (i) => i.workload === workload && i.state === "running",
  );
  const pick =
    running.find((i) => i.identity.role === "primary") ??
    (running.length === 1 ? running[0] : undefined);
  return pick ? { instance: pick.instance, node: pick.node } : undefined;
}
