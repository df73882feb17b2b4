import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { AgentDeps } from "./deps.ts";
import { readRecords } from "./records.ts";
import { teardown } from "./teardown.ts";

/**
 * Ties each restored process's life to its pod's: when the pod's sandbox ends (the pod was
 * deleted, or the node gave it up), the process and all it had here go. The kubelet kills what
 * is left in a deleted pod's cgroup too; this removes the agent's own state with it. Watched
 * through containerd's event stream (a sandbox's end is its pause task's exit), and checked once
 * at start-up for pods that ended while the agent was down.
 */
export class Lifetimes {
  private child: ChildProcess | undefined;
  private stopped = false;

  constructor(private readonly deps: AgentDeps) {}

  async start(): Promise<void> {
    for (const record of await readRecords(this.deps.layout)) {
      if (!(await this.deps.cri.sandboxReady(record.sandboxId))) await teardown(this.deps, record);
    }
    this.watch();
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill();
  }

  private watch(): void {
    const { ctr, containerd } = this.deps.config;
    const child = spawn(ctr, ["--address", containerd.socket, "events"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    this.child = child;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      // "<time> <namespace> /tasks/exit {"container_id":"…",…}"
      const match = / (\/tasks\/(?:exit|delete)) (\{.*\})$/.exec(line);
      if (!match?.[2]) return;
      const event = JSON.parse(match[2]) as { container_id?: string };
      if (event.container_id) void this.sandboxEnded(event.container_id);
    });
    child.on("exit", () => {
      if (this.stopped) return;
      this.deps.log.warn("containerd's event stream ended: watching again in 1 s");
      setTimeout(() => this.watch(), 1000).unref();
    });
  }

  private async sandboxEnded(sandboxId: string): Promise<void> {
    for (const record of await readRecords(this.deps.layout)) {
      if (record.sandboxId !== sandboxId) continue;
      this.deps.log.info(
        { pod: record.pod.name, migrationId: record.migrationId },
        "pod sandbox ended",
      );
      await teardown(this.deps, record).catch((error: unknown) =>
        this.deps.log.error(
          { err: error, pod: record.pod.name },
          "could not remove a restored process",
        ),
      );
    }
  }
}
