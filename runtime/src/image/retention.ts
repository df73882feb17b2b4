import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { z } from "zod";
import { isDigest } from "./digest.ts";
import { RegistryClient } from "./registry-client.ts";

/**
 * What each migration left on disk and in the registry, and the rules for removing it:
 *
 * - `release(id)` removes everything the migration produced, now (dump dirs, image layouts,
 *   unpacked copies, registry manifests and their blob links);
 * - `finish(id)` marks a migration done but keeps its artifacts (for a rollback or a
 *   post-mortem) until the disk budget needs the room;
 * - `enforceBudget()` evicts finished migrations, oldest first, until what is kept fits the
 *   budget; a migration still in flight is never touched, even over budget.
 *
 * The ledger is a directory per migration under `dir`, holding `state.json` and one file per
 * artifact, each written once (temp file, then rename): two processes recording artifacts of
 * the same migration (image-svc, restore-svc) never rewrite each other's records. Paths are
 * only ever deleted if they lie under one of `roots`, checked when recorded and again before
 * removal.
 */

const digest = z.string().refine(isDigest);
export const artifactSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("path"), path: z.string(), node: z.string().optional() }),
  z.object({
    kind: z.literal("registry"),
    registry: z.string(),
    repository: z.string(),
    digest,
    blobs: z.array(digest),
    bytes: z.number().int().nonnegative(),
  }),
]);
export type Artifact = z.infer<typeof artifactSchema>;

const stateSchema = z.object({
  migrationId: z.string(),
  state: z.enum(["in-flight", "finished"]),
  createdAt: z.number(),
  finishedAt: z.number().optional(),
});
type LedgerState = z.infer<typeof stateSchema>;
type Entry = LedgerState & { artifacts: Array<{ file: string; artifact: Artifact }> };

const STATE_FILE = "state.json";

export interface RetentionOptions {
  /** Ledger directory (e.g. `$SHADOW_STATE/retention`). */
  dir: string;
  /** Recorded paths must lie under one of these (e.g. `$SHADOW_STATE`). */
  roots: string[];
  /** Bytes that kept artifacts may take; unbounded when absent. */
  budgetBytes?: number | undefined;
  registry?: (host: string) => RegistryClient;
  now?: () => number;
}

export interface MigrationUsage {
  migrationId: string;
  state: Entry["state"];
  bytes: number;
  finishedAt?: number | undefined;
}

export interface BudgetResult {
  usedBytes: number;
  evicted: string[];
  /** Still over budget after evicting all it could (what remains is in flight). */
  overBudget: boolean;
}

export class Retention {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly options: RetentionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records an artifact of a migration (in flight until finish or release). */
  async track(migrationId: string, artifact: Artifact): Promise<void> {
    const parsed = artifactSchema.parse(artifact);
    if (parsed.kind === "path") this.checkPath(parsed.path);
    await this.locked(migrationId, async () => {
      const dir = this.dirOf(migrationId);
      await mkdir(dir, { recursive: true });
      const state: LedgerState = { migrationId, state: "in-flight", createdAt: this.now() };
      // "wx": the first recorder writes the state; later ones (other processes too) keep it.
      await writeFile(join(dir, STATE_FILE), JSON.stringify(state), { flag: "wx" }).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code !== "EEXIST") throw error;
        },
      );
      const name = `a-${createHash("sha256").update(artifactKey(parsed)).digest("hex").slice(0, 24)}.json`;
      await writeAtomic(join(dir, name), JSON.stringify(parsed));
    });
    if (this.options.budgetBytes !== undefined) await this.enforceBudget();
  }

  /** The migration is over; its artifacts stay until the budget needs the room. */
  async finish(migrationId: string): Promise<void> {
    await this.locked(migrationId, async () => {
      const entry = await this.read(migrationId);
      if (!entry || entry.state === "finished") return;
      const { artifacts: _, ...state } = entry;
      await writeAtomic(
        join(this.dirOf(migrationId), STATE_FILE),
        JSON.stringify({ ...state, state: "finished", finishedAt: this.now() }),
      );
    });
    if (this.options.budgetBytes !== undefined) await this.enforceBudget();
  }

  /**
   * Removes everything the migration produced. Idempotent; if something cannot be removed
   * (the registry is down), the rest is removed anyway, the error is thrown, and what is left
   * stays recorded for the next call.
   */
  async release(migrationId: string): Promise<Artifact[]> {
    return this.locked(migrationId, async () => {
      const entry = await this.read(migrationId);
      if (!entry) return [];
      const removed: Artifact[] = [];
      let failure: unknown;
      // Every artifact gets its try: a registry that is down must not keep the dump dirs.
      for (const { file, artifact } of entry.artifacts) {
        try {
          await this.remove(artifact);
          await rm(file, { force: true });
          removed.push(artifact);
        } catch (error) {
          failure ??= error;
        }
      }
      if (failure !== undefined) throw failure; // what failed stays recorded, for the next try
      await rm(this.dirOf(migrationId), { recursive: true, force: true });
      return removed;
    });
  }

  async usage(): Promise<MigrationUsage[]> {
    const out: MigrationUsage[] = [];
    for (const name of await readdir(this.options.dir).catch(() => [] as string[])) {
      const entry = await this.read(decodeURIComponent(name));
      if (!entry) continue;
      let bytes = 0;
      for (const { artifact: a } of entry.artifacts) {
        bytes += a.kind === "path" ? await diskBytes(a.path) : a.bytes;
      }
      out.push({
        migrationId: entry.migrationId,
        state: entry.state,
        bytes,
        finishedAt: entry.finishedAt,
      });
    }
    return out;
  }

  /** Evicts finished migrations, oldest first, until the kept artifacts fit the budget. */
  async enforceBudget(): Promise<BudgetResult> {
    const usage = await this.usage();
    let used = usage.reduce((sum, u) => sum + u.bytes, 0);
    const budget = this.options.budgetBytes;
    const evicted: string[] = [];
    if (budget === undefined) return { usedBytes: used, evicted, overBudget: false };
    const candidates = usage
      .filter((u) => u.state === "finished")
      .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
    for (const candidate of candidates) {
      if (used <= budget) break;
      await this.release(candidate.migrationId);
      used -= candidate.bytes;
      evicted.push(candidate.migrationId);
    }
    return { usedBytes: used, evicted, overBudget: used > budget };
  }

  private async remove(artifact: Artifact): Promise<void> {
    if (artifact.kind === "path") {
      this.checkPath(artifact.path);
      await rm(artifact.path, { recursive: true, force: true });
      return;
    }
    const client = this.client(artifact.registry);
    await client.deleteManifest(artifact.repository, artifact.digest);
    for (const blob of artifact.blobs) await client.deleteBlob(artifact.repository, blob);
  }

  private client(host: string): RegistryClient {
    const made = this.options.registry?.(host);
    if (made) return made;
    let client = this.clients.get(host);
    if (!client) {
      client = new RegistryClient(host);
      this.clients.set(host, client);
    }
    return client;
  }

  private checkPath(path: string): void {
    const inside = this.options.roots.some((root) => {
      const rel = relative(resolve(root), resolve(path));
      return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
    });
    if (!isAbsolute(path) || !inside) {
      throw new Error(`refusing to track ${path}: not under ${this.options.roots.join(", ")}`);
    }
  }

  private dirOf(migrationId: string): string {
    return join(this.options.dir, encodeURIComponent(migrationId));
  }

  private async read(migrationId: string): Promise<Entry | undefined> {
    const dir = this.dirOf(migrationId);
    const text = await readFile(join(dir, STATE_FILE), "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    const artifacts: Entry["artifacts"] = [];
    for (const name of (await readdir(dir)).sort()) {
      if (!name.startsWith("a-") || !name.endsWith(".json")) continue;
      const file = join(dir, name);
      const body = await readFile(file, "utf8").catch(() => undefined);
      if (body !== undefined)
        artifacts.push({ file, artifact: artifactSchema.parse(JSON.parse(body)) });
    }
    return { ...stateSchema.parse(JSON.parse(text)), artifacts };
  }

  /** Serialises work on one migration's ledger within this process. */
  private locked<T>(migrationId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(migrationId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(migrationId, settled);
    void settled.then(() => {
      if (this.locks.get(migrationId) === settled) this.locks.delete(migrationId);
    });
    return next;
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

function artifactKey(a: Artifact): string {
  return a.kind === "path"
    ? `path:${resolve(a.path)}`
    : `registry:${a.registry}/${a.repository}@${a.digest}`;
}

/** Apparent size of a file or directory tree; 0 when it is gone. */
export async function diskBytes(path: string): Promise<number> {
  const s = await lstat(path).catch(() => undefined);
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[]))
    total += await diskBytes(join(path, name));
  return total;
}
