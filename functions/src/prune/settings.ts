import { z } from "zod";
import { inputProblems } from "../shared/zodIssues";

/** The most a run may delete per second: BulkWriter's own ceiling, and well past what one instance sustains. */
export const MAX_WRITES_PER_SECOND_LIMIT = 10_000;

/**
 * The prune's settings as the params give them. Both are validated at the start of every run, because a
 * param's `input` regex only guards the deploy-time prompt, not a value typed into a `.env` file.
 */
export const pruneSettings = z.object({
  staleDays: z
    .number()
    .int("TOKEN_STALE_DAYS must be a whole number of days")
    .min(1, "TOKEN_STALE_DAYS must be at least 1 day")
    .max(365, "TOKEN_STALE_DAYS must be at most 365 days"),
  maxWritesPerSecond: z
    .number()
    .int("PRUNE_MAX_WRITES_PER_SECOND must be a whole number")
    .min(1, "PRUNE_MAX_WRITES_PER_SECOND must be at least 1")
    .max(
      MAX_WRITES_PER_SECOND_LIMIT,
      `PRUNE_MAX_WRITES_PER_SECOND must be at most ${MAX_WRITES_PER_SECOND_LIMIT}`,
    ),
});
export type PruneSettings = z.infer<typeof pruneSettings>;

/** The settings, or one readable sentence naming every value that is out of range. */
export function parsePruneSettings(
  raw: PruneSettings,
): { ok: true; settings: PruneSettings } | { ok: false; problem: string } {
  const parsed = pruneSettings.safeParse(raw);
  if (parsed.success) return { ok: true, settings: parsed.data };
  const problem = inputProblems(parsed.error)
    .map(({ path, message }) => `${message} (got ${String(raw[path as keyof PruneSettings])})`)
    .join("; ");
  return { ok: false, problem };
}

/**
 * How many devices one page reads. A page is at most 500 (one query's worth of small projected documents),
 * and never more than one second of deletes at the configured rate, so that the at most two pages in
 * flight drain within a couple of seconds when the run reaches its time budget.
 */
export function pageSizeFor(maxWritesPerSecond: number): number {
  return Math.max(1, Math.min(500, maxWritesPerSecond));
}
