import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type BenchOptions,
  benchOptions,
  benchPlots,
  benchProfiles,
  benchTable,
  createScenarioEnvironment,
  formatMachine,
  gridOf,
  measureMachine,
  medianRuns,
  ratioTable,
  runBench,
  serviceDeadlines,
  throughputTable,
} from "@shadow/scenario";
import { renderTimelineSvg, type Timeline } from "@shadow/timeline";

export interface BenchArgs {
  profile: string;
  configs?: string;
  rates?: string;
  runs?: string;
  states?: string;
  partitions?: string;
  cost?: string;
  out: string;
}

const list = (s: string | undefined) =>
  s
    ?.split(",")
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * `shadow bench`: ShadowPod against the sequential baseline, side by side in one invocation,
 * on the local stack. Prints the paper's table (medians, p95) and the ratios; writes the rows
 * as JSON and the tables as markdown.
 */
export async function bench(args: BenchArgs, out: (line: string) => void): Promise<number> {
  const profile = benchProfiles[args.profile];
  if (!profile)
    throw new Error(`unknown profile ${args.profile} (${Object.keys(benchProfiles).join(", ")})`);
  const options: BenchOptions = benchOptions.parse({
    ...profile,
    ...(args.configs ? { configs: list(args.configs) } : {}),
    ...(args.rates ? { rates: list(args.rates)?.map(Number) } : {}),
    ...(args.runs ? { runs: Number(args.runs) } : {}),
    ...(args.states ? { stateMb: list(args.states)?.map(Number) } : {}),
    ...(args.partitions ? { partitions: list(args.partitions)?.map(Number) } : {}),
    ...(args.cost ? { costMs: Number(args.cost) } : {}),
  });
  const env = await createScenarioEnvironment({
    log: (line) => out(`  ${line}`),
    serviceEnv: serviceDeadlines(options.migrationTimeoutMs),
  });
  const started = Date.now();
  // Measured before the runs, while nothing of the benchmark runs: the floor for its stages.
  const machine = formatMachine(await measureMachine());
  out(machine);
  const timelines = new Map<number, Timeline>();
  try {
    const rows = await runBench(
      env,
      options,
      (done, total, row, error) => {
        const bar = `${"#".repeat(Math.round((20 * done) / total)).padEnd(20, ".")}`;
        const what = row
          ? `${row.config} @ ${row.rate}/s, ${row.stateMb} MB, ${row.partitions} partitions, run ${row.run}: ${row.status}${row.failure ? ` (${row.failure})` : ""}, total ${(row.totalMs / 1000).toFixed(2)} s, downtime ${Math.round(row.downtimeProbeMs)} ms by the probe, ${Math.round(row.downtimeMessageMs)} ms by the verifier, longest stall ${Math.round(row.longestStallMs)} ms${row.longestStallIn ? ` in ${row.longestStallIn}` : ""}${row.longestStallCause && row.longestStallMs > 0 ? ` (${row.longestStallCause})` : ""}, lost ${row.lost}, dup ${row.duplicated}, state violations ${row.stateViolations}`
          : `failed: ${error?.message}`;
        out(`[${bar}] ${done}/${total} ${what}`);
      },
      (index, report) => {
        if (report.timeline) timelines.set(index, report.timeline);
      },
    );
    const dir = join(args.out, new Date(started).toISOString().replace(/[:.]/g, "-"));
    await mkdir(dir, { recursive: true });
    const table = benchTable(rows);
    const stages = throughputTable(rows, machine);
    const ratios = options.configs
      .filter((c) => c !== "sequential")
      .map((c) => ratioTable(rows, c))
      .join("\n\n");
    await writeFile(join(dir, "runs.json"), JSON.stringify({ options, machine, rows }, null, 2));
    const plots = await benchPlots(rows);
    for (const plot of plots) await writeFile(join(dir, plot.name), plot.svg);
    // Each configuration's median run as a timeline, as the paper shows one run per figure.
    const timelineFigures: string[] = [];
    for (const median of medianRuns(rows)) {
      const timeline = timelines.get(median.index);
      if (!timeline) continue;
      await writeFile(join(dir, median.file), renderTimelineSvg(timeline));
      timelineFigures.push(
        `${median.label}, the median run by total time:\n\n![${median.file}](${median.file})`,
      );
    }
    await writeFile(
      join(dir, "results.md"),
      `${table}\n\n${stages}\n\n${ratios}\n\n${plots.map((p) => `![${p.name}](${p.name})`).join("\n\n")}\n${timelineFigures.length > 0 ? `\n## Timelines\n\n${timelineFigures.join("\n\n")}\n` : ""}`,
    );
    out(
      `\n${table}\n\n${stages}\n\n${ratios}\n\nrows: ${join(dir, "runs.json")}, tables: ${join(dir, "results.md")}`,
    );
    const clean = rows.every((r) => r.lost === 0 && r.duplicated === 0);
    return clean && rows.length === gridOf(options).length ? 0 : 1;
  } finally {
    await env.close();
  }
}
