import { pressureKind } from "@shadow/events";
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

/** "8h", "30m", "1h30m", "45s". */
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export function durationMs(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === "") return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/**
 * A time when nothing starts, written as Karpenter writes a budget's schedule: a cron
 * expression for when it opens (UTC unless `timezone`) and how long it stays open. `kinds`
 * limits it to some signals (e.g. memory, and not a drain someone asked for).
 *
 * @example
 * { schedule: "0 9 * * mon-fri", duration: "8h" }   // business hours, UTC
 */
export const blackoutWindow = z
  .object({
    schedule: z.string().min(1),
    duration: z.string().refine((d) => (durationMs(d) ?? 0) > 0, "a duration such as 8h or 90m"),
    timezone: z.string().optional(),
    kinds: z.array(pressureKind).optional(),
  })
  .superRefine((w, ctx) => {
    try {
      CronExpressionParser.parse(w.schedule, w.timezone ? { tz: w.timezone } : {});
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `schedule: ${(error as Error).message}` });
    }
  });
export type BlackoutWindow = z.infer<typeof blackoutWindow>;

/** The window open at `now` for a signal of `kind`, and when it closes; undefined if none. */
export function openBlackout(
  windows: readonly BlackoutWindow[],
  kind: string,
  now: Date,
): { window: BlackoutWindow; until: Date } | undefined {
  for (const window of windows) {
    if (window.kinds && !(window.kinds as readonly string[]).includes(kind)) continue;
    const length = durationMs(window.duration) ?? 0;
    // The last opening at or before now (a minute's resolution: cron has no seconds here).
    const expression = CronExpressionParser.parse(window.schedule, {
      currentDate: new Date(now.getTime() + 1),
      ...(window.timezone ? { tz: window.timezone } : {}),
    });
    const opened = expression.prev().getTime();
    if (now.getTime() < opened + length) return { window, until: new Date(opened + length) };
  }
  return undefined;
}
