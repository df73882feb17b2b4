import type { CatchUpDeps } from "./deps.ts";

/** How often a post-copy copy's memory is asked after while its pages arrive. */
const MEMORY_EVERY_MS = 250;

/**
 * A post-copy copy lost its page source before every page arrived: the runtime stopped it, since
 * the pages it never got would read as zeros. Nothing of it may serve.
 */
export class PostCopyFailedError extends Error {
  readonly code = "POST_COPY_FAILED";
  constructor(
    readonly migrationId: string,
    instance: string,
  ) {
    super(`the page source of ${instance} went away before every page arrived`);
    this.name = "PostCopyFailedError";
  }
}

/**
 * Where a post-copy copy's memory stands, asked of the runtime every MEMORY_EVERY_MS (and at
 * once when the copy is otherwise caught up). `check` resolves with the ms from the restore to
 * every page in, or undefined while pages still arrive; it throws when they never will.
 */
export function postCopyWatch(
  postCopy: boolean,
  migrationId: string,
  instance: string,
  deps: CatchUpDeps,
): { check(started: number, urgent: boolean): Promise<number | undefined> } {
  let completeMs: number | undefined = postCopy ? undefined : 0;
  let askedAt = Number.NEGATIVE_INFINITY;
  return {
    async check(started, urgent) {
      if (completeMs !== undefined) return completeMs;
      const now = deps.now();
      if (!urgent && now - askedAt < MEMORY_EVERY_MS) return undefined;
      askedAt = now;
      const info = await deps.runtime.inspect(instance);
      if (!info || info.pages === "failed") throw new PostCopyFailedError(migrationId, instance);
      if (info.pages === "arriving") return undefined;
      completeMs = now - started;
      deps.log?.info({ migrationId, instance, memoryMs: completeMs }, "every page arrived");
      return completeMs;
    },
  };
}
