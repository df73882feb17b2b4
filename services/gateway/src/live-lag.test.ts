import {
  CheckpointCreated,
  CheckpointImageReady,
  MigrationAdmitted,
  MigrationRequested,
  ShadowRestored,
} from "@shadow/events";
import { sampleData } from "@shadow/events/testing";
import { foldMigration, type MigrationView } from "@shadow/migration";
import { describe, expect, it } from "vitest";
import { withLiveLag } from "./live-lag.ts";

const data = sampleData("m-live-1");
const at = (s: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, s)).toISOString();
const eventsUpTo = [
  MigrationRequested,
  MigrationAdmitted,
  CheckpointCreated,
  CheckpointImageReady,
  ShadowRestored,
].map((e, i) => ({ id: `e${i}`, type: e.type, time: at(i), data: data[e.type] }));

function viewAfter(n: number): MigrationView {
  const view = foldMigration(eventsUpTo.slice(0, n));
  if (!view) throw new Error("no view");
  return view;
}

const now = () => new Date("2026-01-02T03:04:09.000Z");

describe("the live lag of a migration in its catch-up", () => {
  it("is read from the handoff's two instances and added to the view", async () => {
    const asked: unknown[] = [];
    const view = await withLiveLag(viewAfter(5), {
      now,
      lagNow: async (handoff) => {
        asked.push(handoff);
        return 37;
      },
    });
    expect(view.phase).toBe("catch-up");
    expect(view.liveLag).toEqual({ records: 37, at: "2026-01-02T03:04:09.000Z" });
    expect(asked).toEqual([data[ShadowRestored.type].handoff]);
  });

  it("belongs to the catch-up it was read in, even when the view moves on meanwhile", async () => {
    const view = viewAfter(5);
    const answered = await withLiveLag(view, {
      now,
      lagNow: async () => {
        // The projection folds ShadowCaughtUp into the same object while the lag is read.
        view.phase = "fence";
        return 2;
      },
    });
    expect(answered).toMatchObject({ phase: "catch-up", liveLag: { records: 2 } });
  });

  it("is not read in any other phase: the instances are not asked", async () => {
    let asked = 0;
    const view = await withLiveLag(viewAfter(4), {
      now,
      lagNow: async () => {
        asked += 1;
        return 1;
      },
    });
    expect(view.phase).toBe("restore");
    expect(view.liveLag).toBeUndefined();
    expect(asked).toBe(0);
  });

  it("is left out when an instance does not answer, or not in time: the view is answered as folded", async () => {
    const failing = await withLiveLag(viewAfter(5), {
      now,
      lagNow: () => Promise.reject(new Error("instance gone")),
    });
    expect(failing).toEqual(viewAfter(5));
    const started = Date.now();
    const hanging = await withLiveLag(viewAfter(5), { now, lagNow: () => new Promise(() => {}) });
    expect(hanging.liveLag).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
