import { createScenarioEnvironment, runScenario } from "@shadow/scenario";
import { readRun } from "@shadow/workload";
import { Kafka, logLevel } from "kafkajs";
import { serviceDeadlines } from "./src/bench/grid.ts";

// One paper-like cell with topics kept; prints where the slowest inputs' latency went.
const config = process.argv[2] ?? "shadow";
const rate = Number(process.argv[3] ?? 120);
const runs = Number(process.argv[4] ?? 1);
const env = await createScenarioEnvironment({
  log: () => {},
  serviceEnv: serviceDeadlines(60_000),
});
try {
  for (let i = 0; i < runs; i++) {
    const r = await runScenario(
      env,
      {
        workload: `diag12-${Date.now() % 100000}`,
        identitySwap: config === "shadow+swap",
        strategy: "shadow",
        rate,
        partitions: 4,
        ballastMb: 0,
        costMs: 10,
        warmupMs: 3000,
        cooldownMs: 2000,
        migrationTimeoutMs: 60_000,
        imageTransfer: config === "shadow+direct" ? "node-to-node" : "registry",
        keepTopics: true,
      },
      () => {},
    );
    const phases = r.migration.phases.map((p) => ({
      ...p,
      from: Date.parse(p.startedAt),
      to: p.endedAt ? Date.parse(p.endedAt) : Infinity,
    }));
    const where = (t: number) => {
      const p = phases.find((p) => t >= p.from && t < p.to);
      return p ? `${p.round}${p.phase}+${Math.round(t - p.from)}` : "-";
    };
    const kafka = new Kafka({ brokers: env.brokers, logLevel: logLevel.NOTHING });
    const [input, output, dlq] = r.topics as [string, string, string];
    const recs = await readRun(kafka, {
      inputTopics: [input],
      outputTopic: output,
      deadLetterTopic: dlq,
    });
    const inPos = new Map<number, { p: number; o: number; ts: number }>();
    for (const rec of recs.inputs) {
      const m = { value: JSON.parse(String(rec.value)) };
      if (m.value.seq !== undefined)
        inPos.set(m.value.seq, { p: rec.partition, o: rec.offset, ts: rec.timestamp });
    }
    const rows = [];
    for (const rec of recs.outputs) {
      const m = { value: JSON.parse(String(rec.value)) };
      const o = m.value;
      rows.push({
        seq: o.seq,
        lat: rec.timestamp - o.sentAt,
        toProc: o.processedAt - o.sentAt,
        toOut: rec.timestamp - o.processedAt,
        inst: o.instance.slice(-6),
        part: inPos.get(o.seq)?.p,
        sentIn: where(o.sentAt),
      });
    }
    rows.sort((a, b) => b.lat - a.lat);
    const p99 = r.verify.steadyP99Ms;
    console.log(
      `${config}@${rate} ${r.migration.status} pause ${r.migration.checkpointPauseMs?.toFixed(0)} extra ${r.verify.maxExtraDelayMs.toFixed(0)} steadyP99 ${p99.toFixed(0)} downtime ${r.verify.downtime.beyondSteadyMs.toFixed(0)} (${JSON.stringify(r.verify.downtime.longest)}) stall ${r.verify.stall.beyondSteadyMs.toFixed(0)} lost ${r.verify.lost.count} dup ${r.verify.duplicated.count}`,
    );
    console.log(
      "work",
      JSON.stringify(
        r.migration.work.map((w) => ({ round: w.round, frozenAt: w.frozenAt, pauseMs: w.pauseMs })),
      ),
      "longest from",
      r.verify.downtime.longest.from ? where(r.verify.downtime.longest.from) : "-",
    );
    console.log("phases", phases.map((p) => `${p.round}${p.phase} ${p.ms}`).join(", "));
    for (const row of rows.slice(0, 12)) console.log(JSON.stringify(row));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: r.topics });
    await admin.disconnect();
  }
} finally {
  await env.close();
}
