import { type DataOf, type FenceAborted, FenceCut, type FencePassed } from "@shadow/events";
import type { TraceContext } from "../control/channel.ts";
import type { SourceFenceStatus } from "../types.ts";
import { type FenceBase, type FenceHost, fenceBase } from "./fence-host.ts";

/**
 * The source's side of the fence: pause input, let the record in flight finish, wait until
 * every output is acknowledged, commit, then answer with the cut (the last offset processed
 * on every assigned partition) and idle. On a rollback it resumes exactly after its cut.
 */
export class SourceFence {
  status: SourceFenceStatus | null = null;
  private readonly host: FenceHost;

  constructor(host: FenceHost) {
    this.host = host;
  }

  async onRequested(data: FenceBase, trace: TraceContext = {}): Promise<void> {
    const { host } = this;
    const status = this.status;
    if (status && !status.aborted && host.getMode() === "fenced") {
      // A replayed request, or a new fence for a source already fenced: nothing was processed
      // since, so the cut is the same; answer again (fence-svc dedupes).
      if (status.fenceId !== data.fenceId) {
        this.status = {
          ...status,
          fenceId: data.fenceId,
          migrationId: data.migrationId,
          passedSeen: false,
        };
      }
      await this.publishCut(data, host.epoch(), trace);
      return;
    }
    if (host.getMode() !== "primary") {
      host.log.warn(
        { migrationId: data.migrationId, mode: host.getMode() },
        "FenceRequested ignored: not primary",
      );
      return;
    }
    const epoch = host.epoch();
    const pausedAt = new Date(host.now()).toISOString();
    this.status = {
      fenceId: data.fenceId,
      migrationId: data.migrationId,
      pausedAt,
      cut: [],
      passedSeen: false,
      aborted: false,
    };
    host.setFencing(true);
    host.updateFlow();
    // The record in flight finishes (its outputs enter the pipeline); later ones are refused.
    await host.lock.run(() => undefined);
    await host.pipeline.flush();
    await host.commitNow();
    if (host.epoch() !== epoch) {
      host.log.warn({ migrationId: data.migrationId }, "fence interrupted by an identity change");
      return;
    }
    this.status.cut = host.progress.cut();
    host.setMode("fenced");
    host.setFencing(false);
    host.updateFlow();
    host.log.info(
      { migrationId: data.migrationId, cut: this.status.cut },
      "fenced: publishing the cut",
    );
    await this.publishCut(data, epoch, trace);
  }

  onPassed(data: DataOf<typeof FencePassed>): void {
    if (this.status?.fenceId === data.fenceId) this.status.passedSeen = true;
  }

  onAborted(data: DataOf<typeof FenceAborted>): void {
    const { host } = this;
    const status = this.status;
    if (!status || status.fenceId !== data.fenceId || status.aborted) return;
    if (status.passedSeen) {
      // The shadow's FencePassed came first in the log: it is the primary, we stay silent.
      host.log.warn(
        { migrationId: data.migrationId },
        "FenceAborted after FencePassed: staying fenced",
      );
      return;
    }
    status.aborted = true;
    if (host.getMode() === "fenced") {
      host.setMode("primary");
      host.updateFlow();
      host.log.info(
        { migrationId: data.migrationId, reason: data.reason },
        "fence aborted: resuming from the cut",
      );
    }
  }

  private async publishCut(data: FenceBase, epoch: number, trace: TraceContext): Promise<void> {
    const status = this.status;
    if (!status) return;
    const published = await this.host.publish(
      {
        ...trace,
        type: FenceCut.type,
        data: {
          ...fenceBase(data),
          instance: this.host.currentIdentity().instance,
          cut: status.cut,
          pausedAt: status.pausedAt,
        },
      },
      epoch,
    );
    if (published) status.cutAt ??= new Date(this.host.now()).toISOString();
  }
}
