import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createScenarioEnvironment, runScenario } from "@shadow/scenario";
import { serviceDeadlines } from "./src/bench/grid.ts";

// Samples the source's main thread's scheduler stats (cpu ns, run-queue wait ns) every 5 ms
// through a migration, and prints them around the verifier's downtime stretch.
const rate = Number(process.argv[2] ?? 120);
const runs = Number(process.argv[3] ?? 2);
const env = await createScenarioEnvironment({
  log: () => {},
  serviceEnv: serviceDeadlines(60_000),
});
if (process.env.NICE_SVCS) {
  const { execSync } = await import("node:child_process");
  for (const svc of process.env.NICE_SVCS.split(","))
    execSync(
      `for p in $(pgrep -f "services/${svc}/src/main.ts"); do renice -n 10 -p $p; for t in /proc/$p/task/*; do renice -n 10 -p $(basename $t) >/dev/null; done; done`,
      { stdio: "ignore" },
    );
}
const sched = (pid: number, tid: number) => {
  try {
    const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8")
      .split(" ")
      .map(Number);
    return { cpu: cpu ?? 0, wait: wait ?? 0 };
  } catch {
    return undefined;
  }
};
const cpuTotal = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const all = f.reduce((a, b) => a + b, 0);
  return { idle, all };
};
const procs = () => {
  const out: Record<string, number> = {};
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const close = st.lastIndexOf(")");
      const name = st.slice(st.indexOf("(") + 1, close);
      const f = st.slice(close + 2).split(" ");
      const t = Number(f[11]) + Number(f[12]);
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 80);
      out[`${d} ${name} ${cmd}`] = t;
    } catch {}
  }
  return out;
};
try {
  for (let i = 0; i < runs; i++) {
    const workload = `diag13-${Date.now() % 100000}`;
    const samples: { t: number; cpu: number; wait: number; idle: number; all: number }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const snaps: { t: number; p: Record<string, number> }[] = [];
    let snapTimer: NodeJS.Timeout | undefined;
    const r = await runScenario(
      env,
      {
        workload,
        identitySwap: false,
        strategy: "shadow",
        rate,
        partitions: 4,
        ballastMb: 0,
        costMs: 10,
        warmupMs: 3000,
        cooldownMs: 2000,
        migrationTimeoutMs: 60_000,
        imageTransfer: "registry",
      },
      () => {},
      {
        async onMigrationStarted() {
          const info = await env.runtime.inspect(workload);
          const pid = info?.pid;
          if (!pid) {
            console.log("no pid");
            return;
          }
          const lowered = new Set<string>();
          const shares = process.env.SHADOW_SHARES;
          if (shares)
            setInterval(() => {
              for (const d of readdirSync("/sys/fs/cgroup/cpu/shadow")) {
                if (d.startsWith(`${workload}-shadow`) && !lowered.has(d)) {
                  try {
                    writeFileSync(`/sys/fs/cgroup/cpu/shadow/${d}/cpu.shares`, shares);
                    lowered.add(d);
                  } catch {}
                }
              }
            }, 2).unref();
          timer = setInterval(() => {
            const s = sched(pid, pid);
            const c = cpuTotal();
            if (s) samples.push({ t: Date.now(), ...s, ...c });
          }, 5);
          if (process.argv[4] === "procs")
            snapTimer = setInterval(() => snaps.push({ t: Date.now(), p: procs() }), 50);
        },
      },
    );
    clearInterval(timer);
    clearInterval(snapTimer);
    const d = r.verify.downtime.longest;
    const phases = r.migration.phases.map((p) => ({
      ...p,
      from: Date.parse(p.startedAt),
      to: p.endedAt ? Date.parse(p.endedAt) : Infinity,
    }));
    const where = (t: number) => {
      const p = phases.find((p) => t >= p.from && t < p.to);
      return p ? `${p.round}${p.phase}+${Math.round(t - p.from)}` : "-";
    };
    const ph = (n: string) => r.migration.phases.find((p) => p.round === 1 && p.phase === n)?.ms;
    console.log(
      `run ${i}: total ${r.migration.totalMs} restore ${ph("restore")} catch-up ${ph("catch-up")} downtime ${r.verify.downtime.beyondSteadyMs.toFixed(0)} longest ${d.ms.toFixed(0)} from ${where(d.from)} extra ${r.verify.maxExtraDelayMs.toFixed(0)} pause ${r.migration.checkpointPauseMs?.toFixed(0)}`,
    );
    let prev = samples[0];
    for (const s of samples) {
      if (process.env.SERIES && s.t >= d.from - 150 && s.t <= d.to + 50 && prev) {
        const dt = s.t - prev.t;
        console.log(
          `${where(s.t).padEnd(18)} dt ${dt}  src cpu ${((s.cpu - prev.cpu) / 1e6).toFixed(1)} ms  runq wait ${((s.wait - prev.wait) / 1e6).toFixed(1)} ms  host busy ${(100 * (1 - (s.idle - prev.idle) / Math.max(1, s.all - prev.all))).toFixed(0)}%${s.t >= d.from && s.t <= d.to ? "  <stall" : ""}`,
        );
      }
      prev = s;
    }
    // Top CPU users over the stall.
    const a = snaps.filter((s) => s.t <= d.from).at(-1);
    const b = snaps.find((s) => s.t >= d.to);
    if (a && b) {
      const use = Object.entries(b.p)
        .map(([k, v]) => [k, v - (a.p[k] ?? v)] as const)
        .filter(([, v]) => v > 0)
        .sort((x, y) => y[1] - x[1])
        .slice(0, 10);
      console.log(`cpu ticks (10 ms) over ${b.t - a.t} ms:`);
      for (const [k, v] of use) console.log(`  ${v}  ${k}`);
    }
  }
} finally {
  await env.close();
}
