import type { WorkloadMode } from "@shadow/contract";
import type { IdleWindow } from "@shadow/testkit";

/** One copy's answer to a health probe: the mode it said it was in. */
export interface ModeSample {
  at: number;
  /** `instance@node`. */
  copy: string;
  mode: WorkloadMode;
}

/** Modes in which a copy is alive but reads no input. */
const consumesNothing = (mode: WorkloadMode) => mode === "fenced" || mode === "idle";

/**
 * Each copy's stretches of saying it consumed nothing: from its first such answer to its next
 * answer in a consuming mode (or its last such answer, when none followed). The verifier cuts
 * the copy's consuming span there, so a copy that is up but fenced is not counted as serving.
 */
export function idleWindowsOf(samples: ModeSample[]): IdleWindow[] {
  const byCopy = new Map<string, ModeSample[]>();
  for (const s of samples) byCopy.set(s.copy, [...(byCopy.get(s.copy) ?? []), s]);
  const windows: IdleWindow[] = [];
  for (const [copy, own] of byCopy) {
    own.sort((a, b) => a.at - b.at);
    let from: number | undefined;
    let last = 0;
    for (const s of own) {
      if (consumesNothing(s.mode)) {
        from ??= s.at;
        last = s.at;
      } else if (from !== undefined) {
        windows.push({ copy, from, to: s.at });
        from = undefined;
      }
    }
    if (from !== undefined && last > from) windows.push({ copy, from, to: last });
  }
  return windows.sort((a, b) => a.from - b.from);
}
