import {
  CheckpointCreated,
  MigrationFailed,
  MigrationRequested,
  ShadowCaughtUp,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { describe, expect, it } from "vitest";
import { applyEvent } from "./fold.ts";

const data = sampleData("m-fold-1");

/** A fresh migration's view, as its MigrationRequested folds. */
const requested = () =>
  applyEvent(undefined, {
    id: "e1",
    type: MigrationRequested.type,
    time: "2026-01-02T03:04:05.678Z",
    data: data[MigrationRequested.type],
  });

describe("the fold of a checkpoint", () => {
  it("keeps each round's freeze window, which a verifier needs to tell a pause from downtime", () => {
    let view = requested();
    view = applyEvent(view, {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.000Z",
      data: { ...data[CheckpointCreated.type], frozenAt: "2026-01-02T03:04:05.800Z", pauseMs: 95 },
    });
    expect(view?.work).toEqual([
      { round: 1, dumpMs: 230, pauseMs: 95, frozenAt: "2026-01-02T03:04:05.800Z" },
    ]);
    expect(view?.checkpointPauseMs).toBe(95);
  });

  it("reads an event written before the freeze time was reported", () => {
    const { frozenAt: _, ...older } = data[CheckpointCreated.type];
    let view = requested();
    view = applyEvent(view, {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.000Z",
      data: older,
    });
    expect(view?.work).toEqual([{ round: 1, dumpMs: 230, pauseMs: 141.5 }]);
    expect(view?.phase).toBe("image");
  });
});

describe("the fold of a caught-up shadow", () => {
  it("keeps which copy caught up and when: a verifier counts it as consuming from then", () => {
    const caughtUp = data[ShadowCaughtUp.type];
    const view = applyEvent(requested(), {
      id: "e3",
      type: ShadowCaughtUp.type,
      time: "2026-01-02T03:04:08.250Z",
      data: caughtUp,
    });
    expect(view?.work).toEqual([
      expect.objectContaining({
        round: caughtUp.handoff.round,
        shadow: caughtUp.handoff.to,
        caughtUpAt: "2026-01-02T03:04:08.250Z",
      }),
    ]);
    expect(view?.phases.find((p) => p.phase === "fence")?.startedAt).toBe(
      "2026-01-02T03:04:08.250Z",
    );
  });
});

describe("the fold of a failure", () => {
  it("ends the phase under way at the failure, marked failed, and leaves earlier phases as they were", () => {
    let view = requested();
    view = applyEvent(view, {
      id: "e2",
      type: CheckpointCreated.type,
      time: "2026-01-02T03:04:06.000Z",
      data: data[CheckpointCreated.type],
    });
    view = applyEvent(view, {
      id: "e3",
      type: MigrationFailed.type,
      time: "2026-01-02T03:04:16.500Z",
      data: data[MigrationFailed.type],
    });
    expect(view?.status).toBe("failed");
    expect(view?.phases).toEqual([
      expect.objectContaining({ phase: "checkpoint", ms: 322 }),
      {
        round: 1,
        phase: "image",
        startedAt: "2026-01-02T03:04:06.000Z",
        endedAt: "2026-01-02T03:04:16.500Z",
        ms: 10_500,
        failed: true,
      },
    ]);
    expect(view?.phases[0]).not.toHaveProperty("failed");
  });
});
