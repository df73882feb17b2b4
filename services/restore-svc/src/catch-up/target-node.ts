import { TerminalError } from "@shadow/events";
import type { CatchUpDeps } from "../deps.ts";

/** How often the target node's readiness is read during a catch-up or a fence. */
const CHECK_EVERY_MS = 1_000;

/** The target node stopped being Ready before the handover: the shadow must not take over there. */
export class TargetNotReadyError extends TerminalError {
  constructor(migrationId: string, node: string, why: string) {
    super(`target node ${node} ${why} before the handover`, {
      migrationId,
      code: "TARGET_NOT_READY",
    });
  }
}

/**
 * Reads whether the node a shadow runs on is still a place to hand over to, at most once a
 * second. A node the platform calls NotReady (its kubelet silent) will have its pods evicted:
 * a shadow that became the primary there would be lost with them, and the source that handed
 * over would be gone already. Before the cut the source still serves, so rolling back costs
 * nothing. A node listed once and then no more counts as not Ready; one never listed, or a
 * listing that fails, says nothing (a runtime may not list its nodes).
 */
export class TargetNodeCheck {
  #readAt = Number.NEGATIVE_INFINITY;
  #listed = false;

  constructor(
    private readonly deps: Pick<CatchUpDeps, "runtime" | "now">,
    private readonly node: string,
  ) {}

  /** Why the node is no place to hand over to now, or nothing when it is (or was not read). */
  async trouble(): Promise<string | undefined> {
    if (this.deps.now() - this.#readAt < CHECK_EVERY_MS) return undefined;
    this.#readAt = this.deps.now();
    const nodes = await this.deps.runtime.nodes().catch(() => undefined);
    if (!nodes) return undefined;
    const node = nodes.find((n) => n.name === this.node);
    if (!node) return this.#listed ? "is no longer listed" : undefined;
    this.#listed = true;
    return node.ready ? undefined : "is not Ready";
  }
}
