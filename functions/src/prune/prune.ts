import type { DeleteResult } from "./deleteOutcome";

/** Why a device is deleted. */
export type PruneReason = "rejected" | "stale";

/** A device as the prune reads it: its id and whatever the store needs to page on and to delete it. */
export type PruneCandidate = { id: string };

/** One query of devices to delete, read a page at a time after the last candidate of the previous page. */
export type PruneSource<C extends PruneCandidate> = {
  reason: PruneReason;
  page(after: C | undefined, limit: number): Promise<C[]>;
};

export type PruneRun<C extends PruneCandidate> = {
  /** Read in order: a device that is both rejected and stale is deleted (and counted) by the first. */
  sources: PruneSource<C>[];
  /** Deletes a page, each device only if unchanged since it was read; one result per candidate, in order. */
  deleteUnchanged(page: C[]): Promise<DeleteResult[]>;
  pageSize: number;
  /** Milliseconds since the run started. */
  elapsedMs(): number;
  /** No page is read once this much time has passed: the rest waits for the next run. */
  budgetMs: number;
  /** Called with each page's device ids after it is read and before its deletes are sent. */
  onPageRead?: (reason: PruneReason, deviceIds: string[]) => Promise<void> | void;
};

/** How many failures the summary keeps word for word; the rest are only counted. */
export const FAILURE_SAMPLES = 10;

export type PruneSummary = {
  deleted: Record<PruneReason, number>;
  /** Changed (re-registered, or removed by someone else) between the read and the delete: left alone. */
  skipped: number;
  failed: number;
  failures: { deviceId: string; reason: PruneReason; error: string }[];
  pages: number;
  /** The time budget ran out before every page was read; the next run carries on. */
  truncated: boolean;
  durationMs: number;
};

/**
 * Deletes every candidate of every source, a page at a time: it reads page n+1 while page n's deletes are
 * in flight, and waits for page n before reading page n+2. So at most two pages are held at once,
 * whatever the size of the table, and the reads never outrun the (rate-limited) deletes.
 */
export async function prune<C extends PruneCandidate>(run: PruneRun<C>): Promise<PruneSummary> {
  const summary: PruneSummary = {
    deleted: { rejected: 0, stale: 0 },
    skipped: 0,
    failed: 0,
    failures: [],
    pages: 0,
    truncated: false,
    durationMs: 0,
  };

  const tally = (reason: PruneReason, page: C[], results: DeleteResult[]) => {
    results.forEach((result, index) => {
      switch (result.outcome) {
        case "deleted":
          summary.deleted[reason] += 1;
          break;
        case "changed":
          summary.skipped += 1;
          break;
        case "failed":
          summary.failed += 1;
          if (summary.failures.length < FAILURE_SAMPLES) {
            summary.failures.push({ deviceId: page[index]?.id ?? "?", reason, error: result.error });
          }
          break;
      }
    });
  };

  sources: for (const source of run.sources) {
    let inFlight: Promise<void> = Promise.resolve();
    let after: C | undefined;
    try {
      for (;;) {
        if (run.elapsedMs() >= run.budgetMs) {
          summary.truncated = true;
          break sources;
        }
        const page = await source.page(after, run.pageSize);
        if (page.length === 0) break;
        summary.pages += 1;
        await run.onPageRead?.(
          source.reason,
          page.map((candidate) => candidate.id),
        );
        const deletes = run.deleteUnchanged(page).then((results) => tally(source.reason, page, results));
        const previous = inFlight;
        inFlight = deletes;
        await previous;
        after = page[page.length - 1];
        if (page.length < run.pageSize) break;
      }
    } finally {
      // Each source finishes before the next starts, so a device in two of them is deleted once.
      await inFlight;
    }
  }

  summary.durationMs = Math.round(run.elapsedMs());
  return summary;
}
