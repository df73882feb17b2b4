/**
 * What this process learned from the control log about fences of its workload. It is not
 * fence state of one identity: a restored copy inherits it with the rest of its memory, and it
 * outlives identity changes. Bounded: a long-running workload sees fences without end.
 */
export interface LogMemory {
  /** Fence events already acted on, by CloudEvent source and id, oldest first. */
  readonly seen: readonly string[];
  /** Migrations whose fences ended: the furthest round completed, or aborted (all rounds). */
  readonly ended: ReadonlyMap<string, Ended>;
  /** When the latest migration this copy took part in was requested (ms since epoch). */
  readonly latestRequestedAt: number | undefined;
}

export interface Ended {
  readonly round: number;
  readonly aborted: boolean;
}

export const MEMORY_LIMIT = 256;

export const emptyMemory: LogMemory = {
  seen: [],
  ended: new Map(),
  latestRequestedAt: undefined,
};

export function seenBefore(memory: LogMemory, key: string | undefined): boolean {
  return key !== undefined && memory.seen.includes(key);
}

export function remember(memory: LogMemory, key: string | undefined): LogMemory {
  if (key === undefined) return memory;
  const seen = [...memory.seen, key];
  return { ...memory, seen: seen.length > MEMORY_LIMIT ? seen.slice(-MEMORY_LIMIT) : seen };
}

/** A fence of `migrationId` ended at `round` (completed or passed), or the migration aborted. */
export function ended(
  memory: LogMemory,
  migrationId: string,
  round: number,
  aborted: boolean,
): LogMemory {
  const before = memory.ended.get(migrationId);
  const next: Ended = {
    round: Math.max(round, before?.round ?? 0),
    aborted: aborted || (before?.aborted ?? false),
  };
  if (before && before.round === next.round && before.aborted === next.aborted) return memory;
  const map = new Map(memory.ended);
  map.delete(migrationId);
  map.set(migrationId, next);
  if (map.size > MEMORY_LIMIT) map.delete(map.keys().next().value as string);
  return { ...memory, ended: map };
}

/** Whether a fence of `migrationId` at `round` belongs to something that already ended. */
export function hasEnded(memory: LogMemory, migrationId: string, round: number): boolean {
  const entry = memory.ended.get(migrationId);
  return entry !== undefined && (entry.aborted || entry.round >= round);
}

export function tookPart(memory: LogMemory, requestedAt: string): LogMemory {
  const at = Date.parse(requestedAt);
  if (memory.latestRequestedAt !== undefined && memory.latestRequestedAt >= at) return memory;
  return { ...memory, latestRequestedAt: at };
}
