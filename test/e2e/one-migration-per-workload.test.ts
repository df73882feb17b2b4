import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  CheckpointCreated,
  type IncomingEvent,
  MigrationAdmitted,
  MigrationCompleted,
  MigrationRejected,
  MigrationRequested,
  RolledBack,
  traceIdOf,
} from "@shadow/events";
import type { MigrationView } from "@shadow/migration";
import { loadLocalRuntimeConfig } from "@shadow/runtime/local";
import { formatReport, runScenario, waitFor } from "@shadow/scenario";
import { freePort } from "@shadow/supervisor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewayProcess, startGateway } from "./gateway-process.ts";
import { directRequest, produceDirectly } from "./kafka-requests.ts";
import { useScenarioEnvironment } from "./scenario-env.ts";
import { workloadLog } from "./workload-log.ts";
import { workloadName } from "./workload-name.ts";

/**
 * A burst of 2,200 events on one workload's partition, on a shared 2-core machine: answers take
 * longer than the gateway's default wait for a verdict (15 s), so this run waits longer. Every
 * request gets its answer either way; the test asks that it be the log's verdict, not a 504.
 */
const VERDICT_TIMEOUT_MS = "120000";
const env = useScenarioEnvironment({ SHADOW_VERDICT_TIMEOUT_MS: VERDICT_TIMEOUT_MS });
let second: GatewayProcess | undefined;

beforeAll(async () => {
  second = await startGateway({
    port: await freePort(),
    brokers: env().brokers,
    token: env().token,
    env: { SHADOW_VERDICT_TIMEOUT_MS: VERDICT_TIMEOUT_MS },
  });
});
afterAll(async () => {
  await second?.stop();
});

const PER_GATEWAY = 500;
const DIRECT = 100;

interface Answer {
  gateway: string;
  /** When the POST was sent, and how long its answer took. */
  at: number;
  ms: number;
  status: number;
  body: { migrationId?: string; code?: string; error?: string; runningMigrationId?: string };
}

async function postMany(url: string, body: unknown, n: number, token: string): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const started = Date.now();
      const res = await fetch(`${url}/migrations`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as Answer["body"];
      return {
        gateway: url,
        at: started,
        ms: Date.now() - started,
        status: res.status,
        body: answer,
      };
    }),
  );
}

/** What is left on the nodes' disks of the given migrations: dumps and unpacked images. */
async function leftovers(ids: string[]): Promise<string[]> {
  const config = loadLocalRuntimeConfig();
  const nodesDir = join(config.stateDir, "nodes");
  const dirs: string[] = [];
  for (const node of await readdir(nodesDir).catch(() => [] as string[])) {
    dirs.push(join(nodesDir, node, "checkpoints"), join(nodesDir, node, "images"));
    if (config.dumpDir) dirs.push(join(config.dumpDir, node));
  }
  const found: string[] = [];
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (ids.some((id) => name.startsWith(`${id.toLowerCase()}.`))) found.push(join(dir, name));
    }
  }
  return found;
}

describe("one migration per workload, decided by the log", () => {
  it(`two gateways taking ${PER_GATEWAY} concurrent POSTs each and ${DIRECT} requests produced straight onto Kafka: one migration runs, every other request is refused with its reason`, {
    timeout: 600_000,
  }, async () => {
    const workload = workloadName("contended");
    const run = randomBytes(3).toString("hex");
    const directIds = Array.from({ length: DIRECT }, (_, i) => `kafka-${run}-${i}`);
    const directTraces = new Map<string, string>();
    let answers: Answer[] = [];
    let winner: string | undefined;
    const gateways = [env().gatewayUrl, second?.url ?? ""];

    const report = await runScenario(
      env(),
      {
        workload,
        strategy: "shadow",
        identitySwap: true,
        rate: 40,
        partitions: 2,
        // State enough that the migration outlasts the burst: every request must reach the log
        // while it runs, for the one-at-a-time rule to refuse them all.
        ballastMb: 256,
        warmupMs: 3_000,
        cooldownMs: 2_000,
      },
      (line) => console.log(line),
      {
        async requestMigration(request) {
          const source = (await env().runtime.list()).find(
            (i) => i.workload === workload && i.state === "running",
          );
          if (!source) throw new Error(`${workload} is not running`);
          const direct = directIds.map((migrationId) => {
            const traceId = randomBytes(16).toString("hex");
            directTraces.set(migrationId, traceId);
            return directRequest(
              {
                migrationId,
                workload,
                strategy: "shadow",
                identitySwap: true,
                source: { instance: source.instance, node: source.node },
                targetNode: request.targetNode,
              },
              `00-${traceId}-${randomBytes(8).toString("hex")}-01`,
            );
          });
          const started = Date.now();
          const [a, b] = await Promise.all([
            postMany(gateways[0] as string, request, PER_GATEWAY, env().token),
            postMany(gateways[1] as string, request, PER_GATEWAY, env().token),
            produceDirectly(env().brokers, direct),
          ]);
          answers = [...a, ...b];
          console.log(
            `${answers.length} HTTP answers in ${Date.now() - started} ms: ${JSON.stringify(
              Object.fromEntries(
                [...new Set(answers.map((x) => x.status))].map((s) => [
                  s,
                  answers.filter((x) => x.status === s).length,
                ]),
              ),
            )}`,
          );
          const ms = answers.map((x) => x.ms).sort((x, y) => x - y);
          const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
          console.log(
            `HTTP answer time p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms.at(-1)} ms`,
          );
          const odd = answers.filter((x) => x.status !== 202 && x.status !== 409);
          for (const x of odd.slice(0, 5))
            console.log(`unexpected ${x.status}: ${JSON.stringify(x.body)}`);
          winner = answers.find((x) => x.status === 202)?.body.migrationId;
          if (!winner) {
            // A request produced straight onto Kafka came first: the log says which.
            const list = (await (
              await fetch(`${env().gatewayUrl}/migrations`, {
                headers: { authorization: `Bearer ${env().token}` },
              })
            ).json()) as { migrations: MigrationView[] };
            winner = list.migrations.find(
              (m) => m.workload === workload && m.status !== "rejected",
            )?.migrationId;
          }
          if (!winner) throw new Error("no request was admitted");
          return { migrationId: winner };
        },
      },
    );
    console.log(formatReport(report));

    // The one migration ran to its end, under load, with nothing lost or duplicated.
    expect(report.migration.migrationId).toBe(winner);
    expect(report.migration.status).toBe("completed");
    expect(report.verify.lost.count).toBe(0);
    expect(report.verify.duplicated.count).toBe(0);
    expect(report.instancesAfter).toHaveLength(1);

    // Over HTTP: at most one 202 (none if a Kafka request came first), every other a 409
    // naming the migration under way.
    expect(answers).toHaveLength(2 * PER_GATEWAY);
    expect(answers.filter((x) => x.status === 202).length).toBeLessThanOrEqual(1);
    const refused = answers.filter((x) => x.status !== 202);
    expect(new Set(refused.map((x) => x.status))).toEqual(new Set([409]));
    for (const x of refused) {
      expect(x.body).toMatchObject({ code: "ALREADY_MIGRATING", runningMigrationId: winner });
      expect(x.body.error).toContain(winner);
    }
    // Both gateways refused: neither held the other back, the log did.
    for (const url of gateways) {
      expect(refused.filter((x) => x.gateway === url).length).toBeGreaterThan(PER_GATEWAY - 2);
    }

    // On the log: every request, exactly one verdict each, in the request's trace. Admission
    // answers the burst one request at a time: wait until it has come through.
    const isVerdict = (e: IncomingEvent) =>
      e.type === MigrationAdmitted.type || e.type === MigrationRejected.type;
    const started = Date.now();
    const log = await waitFor("a verdict on every request", 180_000, async () => {
      const read = await workloadLog(env().brokers, workload);
      const answered = new Set(read.filter(isVerdict).map((e) => e.subject));
      const asked = read.filter((e) => e.type === MigrationRequested.type);
      return asked.length === 2 * PER_GATEWAY + DIRECT &&
        asked.every((e) => answered.has(e.subject))
        ? read
        : undefined;
    });
    console.log(`every verdict on the log ${Date.now() - started} ms after the migration ended`);
    const requests = log.filter((e) => e.type === MigrationRequested.type);
    const ended = log.findIndex(
      (e) =>
        e.subject === winner && (e.type === MigrationCompleted.type || e.type === RolledBack.type),
    );
    const lastRequest = log.findLastIndex((e) => e.type === MigrationRequested.type);
    expect(lastRequest, "every request reached the log while the migration ran").toBeLessThan(
      ended,
    );
    // Where an answer's time went: until the gateway emitted the request, and after.
    const emittedAt = new Map(
      requests.map((e) => [
        e.subject,
        Date.parse(MigrationRequested.schema.parse(e.data).requestedAt),
      ]),
    );
    const split = answers
      .filter((x) => x.body.migrationId && emittedAt.has(x.body.migrationId))
      .map((x) => {
        const emitted = emittedAt.get(x.body.migrationId as string) as number;
        return { before: emitted - x.at, after: x.at + x.ms - emitted };
      });
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(
      `HTTP answers, median: ${median(split.map((x) => x.before))} ms to emit the request, ${median(split.map((x) => x.after))} ms from there to the verdict`,
    );
    const httpIds = answers.map((x) => x.body.migrationId);
    expect(new Set(requests.map((e) => e.subject))).toEqual(new Set([...httpIds, ...directIds]));
    expect(requests).toHaveLength(2 * PER_GATEWAY + DIRECT);
    const verdicts = log.filter(isVerdict);
    const perRequest = new Map<string, number>();
    for (const v of verdicts) perRequest.set(v.subject, (perRequest.get(v.subject) ?? 0) + 1);
    expect(perRequest.size).toBe(requests.length);
    expect([...perRequest.values()].every((n) => n === 1)).toBe(true);
    const admitted = verdicts.filter((e) => e.type === MigrationAdmitted.type);
    expect(admitted.map((e) => e.subject)).toEqual([winner]);
    const traceOf = new Map(requests.map((e) => [e.subject, traceIdOf(e)]));
    for (const v of verdicts.filter((e) => e.type === MigrationRejected.type)) {
      const d = MigrationRejected.schema.parse(v.data);
      expect(d).toMatchObject({ code: "ALREADY_MIGRATING", runningMigrationId: winner });
      expect(d.reason).toContain(winner);
      expect(traceIdOf(v), `${v.subject} in its request's trace`).toBe(traceOf.get(v.subject));
    }
    for (const id of directIds) expect(traceOf.get(id)).toBe(directTraces.get(id));
    // Exactly one migration did anything: one checkpoint per round, all of the winner.
    const checkpoints = log.filter((e) => e.type === CheckpointCreated.type);
    expect(checkpoints.map((e) => e.subject)).toEqual([winner, winner]);

    // Nothing left on any node: the winner's checkpoints and images were released, and no
    // refused request made any.
    expect(await leftovers([...(httpIds as string[]), ...directIds])).toEqual([]);
  });
});
