/**
 * Where a dump's time went, read from CRIU's dump.log: each line starts with the seconds since
 * CRIU started, `(00.253990) Seized task 8863, state 1`, and a few lines mark where a stage of
 * the dump begins. The source is frozen from the freeze to the thaw, so this says which part of
 * the pause is page copying (it grows with the state) and which is not (it does not, and is
 * what there is to cut at small sizes).
 */

/** The stages of a dump, in the order CRIU runs them, each named by the line that starts it. */
const stageMarks = [
  // From the pre-dump hook (or CRIU's own freezer) to every task seized.
  ["freeze", /Running pre-dump scripts|freezing cgroup /],
  // The network lock, then the task's mappings, files and sockets collected (before the parasite).
  ["lock and collect", /Running network-lock scripts/],
  ["parasite", /Set up parasite blob/],
  ["pages", /Dumping pages \(type/],
  ["threads and mm", /Dumping core \(pid/],
  ["mounts", /mnt: Dumping mountpoints/],
  ["namespaces", /Dumping pstree/],
  ["cgroups and images", /Namespaces dump complete/],
  ["unlock and thaw", /Running network-unlock scripts/],
  ["end", /Dumping finished successfully|Unfreezing tasks/],
] as const;

export type DumpStage = Exclude<(typeof stageMarks)[number][0], "end">;

export interface DumpProfile {
  /** Milliseconds per stage, in CRIU's order; a stage whose mark is missing is left out. */
  stages: { stage: DumpStage; ms: number }[];
  /** From the freeze's mark to the end's: the part of the pause CRIU's log can see. */
  spanMs: number;
}

const stamp = /^\((\d+)\.(\d+)\)\s(.*)$/;

/** The profile of a dump.log's text; undefined when it has no marks (not a dump log). */
export function profileDump(log: string): DumpProfile | undefined {
  const at = new Map<string, number>();
  for (const line of log.split("\n")) {
    const m = stamp.exec(line);
    if (!m) continue;
    const text = m[3] ?? "";
    for (const [stage, mark] of stageMarks) {
      if (!at.has(stage) && mark.test(text)) {
        at.set(stage, Number(m[1]) * 1000 + Number(`0.${m[2]}`) * 1000);
      }
    }
  }
  const found = stageMarks.filter(([stage]) => at.has(stage)).map(([stage]) => stage);
  if (found.length < 2) return undefined;
  const stages: DumpProfile["stages"] = [];
  for (let i = 0; i + 1 < found.length; i++) {
    const stage = found[i] as DumpStage | "end";
    const next = found[i + 1] as string;
    if (stage === "end") break;
    stages.push({ stage, ms: (at.get(next) ?? 0) - (at.get(stage) ?? 0) });
  }
  const first = at.get(found[0] as string) ?? 0;
  const last = at.get(found[found.length - 1] as string) ?? first;
  return { stages, spanMs: last - first };
}

/** One line: `freeze 60 ms, lock and collect 62 ms, …` (ms rounded). */
export function formatDumpProfile(profile: DumpProfile): string {
  return profile.stages.map((s) => `${s.stage} ${Math.round(s.ms)} ms`).join(", ");
}
