import type { DeleteResult } from "../../functions/src/prune/deleteOutcome";
import {
  FAILURE_SAMPLES,
  prune,
  type PruneReason,
  type PruneRun,
  type PruneSource,
} from "../../functions/src/prune/prune";

/** An in-memory devices table: each row has a version, bumped by every write, as Firestore's update time is. */
type Row = { id: string; lastSeen: number; rejected: boolean; version: number };
type Read = { id: string; key: number; version: number };

class FakeTable {
  rows = new Map<string, Row>();
  pageReads = 0;
  pendingPages = 0;
  maxPendingPages = 0;

  constructor(rows: Omit<Row, "version">[]) {
    for (const row of rows) this.rows.set(row.id, { ...row, version: 1 });
  }

  touch(id: string) {
    const row = this.rows.get(id);
    if (row)
      this.rows.set(id, {
        ...row,
        lastSeen: Number.MAX_SAFE_INTEGER,
        rejected: false,
        version: row.version + 1,
      });
  }

  source(reason: PruneReason, cutoff = 100): PruneSource<Read> {
    const matches = (row: Row) => (reason === "rejected" ? row.rejected : row.lastSeen < cutoff);
    const keyOf = (row: Row) => (reason === "rejected" ? 0 : row.lastSeen);
    return {
      reason,
      page: (after, limit) => {
        this.pageReads += 1;
        const ordered = [...this.rows.values()]
          .filter(matches)
          .map((row) => ({ id: row.id, key: keyOf(row), version: row.version }))
          .sort((a, b) => a.key - b.key || a.id.localeCompare(b.id))
          .filter((read) => !after || read.key > after.key || (read.key === after.key && read.id > after.id));
        return Promise.resolve(ordered.slice(0, limit));
      },
    };
  }

  /** Deletes after a few event-loop turns, as a remote write would, tracking how many pages wait at once. */
  async deleteUnchanged(page: Read[]): Promise<DeleteResult[]> {
    this.pendingPages += 1;
    this.maxPendingPages = Math.max(this.maxPendingPages, this.pendingPages);
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    this.pendingPages -= 1;
    return page.map((read) => {
      const row = this.rows.get(read.id);
      if (!row || row.version !== read.version) return { outcome: "changed" };
      this.rows.delete(read.id);
      return { outcome: "deleted" };
    });
  }
}

const rows = <T>(count: number, make: (i: number) => T): T[] =>
  Array.from({ length: count }, (_, i) => make(i));

function run(table: FakeTable, overrides: Partial<PruneRun<Read>> = {}): PruneRun<Read> {
  return {
    sources: [table.source("rejected"), table.source("stale")],
    deleteUnchanged: (page) => table.deleteUnchanged(page),
    pageSize: 10,
    elapsedMs: () => 0,
    budgetMs: 60_000,
    ...overrides,
  };
}

describe("prune", () => {
  it("deletes every stale and every rejected device across many pages, and keeps the rest", async () => {
    const table = new FakeTable([
      ...rows(35, (i) => ({ id: `stale-${i}`, lastSeen: i, rejected: false })),
      ...rows(12, (i) => ({ id: `rejected-${i}`, lastSeen: 1_000, rejected: true })),
      ...rows(20, (i) => ({ id: `fresh-${i}`, lastSeen: 100 + i, rejected: false })),
    ]);

    const summary = await prune(run(table));

    expect(summary).toMatchObject({ deleted: { stale: 35, rejected: 12 }, skipped: 0, failed: 0 });
    expect(summary.truncated).toBe(false);
    expect([...table.rows.keys()].sort()).toEqual(rows(20, (i) => `fresh-${i}`).sort());
    // 2 pages of rejected (10 + 2), 4 of stale (10 + 10 + 10 + 5): a short page ends a query.
    expect(summary.pages).toBe(6);
    expect(table.pageReads).toBe(6);
  });

  it("counts a device both rejected and stale once, as rejected", async () => {
    const table = new FakeTable([{ id: "both", lastSeen: 1, rejected: true }]);
    const summary = await prune(run(table));
    expect(summary.deleted).toEqual({ rejected: 1, stale: 0 });
    expect(table.rows.size).toBe(0);
  });

  it("leaves a device written between the read and the delete, counting it skipped", async () => {
    const table = new FakeTable(rows(25, (i) => ({ id: `stale-${i}`, lastSeen: i, rejected: false })));
    const summary = await prune(
      run(table, {
        onPageRead: (reason, ids) => {
          if (reason === "stale" && ids.includes("stale-13")) table.touch("stale-13");
        },
      }),
    );
    expect(summary).toMatchObject({ deleted: { stale: 24, rejected: 0 }, skipped: 1, failed: 0 });
    expect([...table.rows.keys()]).toEqual(["stale-13"]);
  });

  it("holds at most two pages at once: reads never run ahead of the deletes", async () => {
    const table = new FakeTable(rows(200, (i) => ({ id: `stale-${i}`, lastSeen: i % 50, rejected: false })));
    const summary = await prune(run(table));
    expect(summary.deleted.stale).toBe(200);
    expect(table.maxPendingPages).toBe(2);
  });

  it("finishes the rejected query before the stale one starts", async () => {
    const table = new FakeTable([
      ...rows(15, (i) => ({ id: `rejected-${i}`, lastSeen: 1_000, rejected: true })),
      ...rows(15, (i) => ({ id: `stale-${i}`, lastSeen: i, rejected: false })),
    ]);
    const order: string[] = [];
    const source = table.source("stale");
    await prune(
      run(table, {
        sources: [
          table.source("rejected"),
          {
            reason: "stale",
            page: (after, limit) => {
              order.push(`stale read with ${table.pendingPages} pages pending, ${table.rows.size} rows`);
              return source.page(after, limit);
            },
          },
        ],
      }),
    );
    expect(order[0]).toBe("stale read with 0 pages pending, 15 rows");
  });

  it("stops reading at its time budget and says so; the next run deletes the rest", async () => {
    const table = new FakeTable(rows(50, (i) => ({ id: `stale-${i}`, lastSeen: i, rejected: false })));
    let clock = 0;
    const tick = () => (clock += 100);
    const first = await prune(run(table, { elapsedMs: tick, budgetMs: 350 }));
    expect(first.truncated).toBe(true);
    expect(first.deleted.stale).toBeGreaterThan(0);
    expect(first.deleted.stale).toBeLessThan(50);
    expect(table.rows.size).toBe(50 - first.deleted.stale);

    const second = await prune(run(table));
    expect(second).toMatchObject({ truncated: false, deleted: { stale: 50 - first.deleted.stale } });
    expect(table.rows.size).toBe(0);
  });

  it("is harmless to run again: the second run finds nothing", async () => {
    const table = new FakeTable(rows(30, (i) => ({ id: `stale-${i}`, lastSeen: i, rejected: i % 2 === 0 })));
    await prune(run(table));
    const again = await prune(run(table));
    expect(again).toMatchObject({ deleted: { stale: 0, rejected: 0 }, skipped: 0, failed: 0, pages: 0 });
  });

  it("counts failed deletes and keeps the first few word for word", async () => {
    const table = new FakeTable(rows(25, (i) => ({ id: `stale-${i}`, lastSeen: i, rejected: false })));
    const summary = await prune(
      run(table, {
        deleteUnchanged: (page) =>
          Promise.resolve(page.map(() => ({ outcome: "failed" as const, error: "14: unavailable" }))),
      }),
    );
    expect(summary).toMatchObject({ deleted: { stale: 0, rejected: 0 }, failed: 25 });
    expect(summary.failures).toHaveLength(FAILURE_SAMPLES);
    expect(summary.failures[0]).toEqual({ deviceId: "stale-0", reason: "stale", error: "14: unavailable" });
  });

  it("reports the run's duration from its own timer", async () => {
    const table = new FakeTable([]);
    const summary = await prune(run(table, { elapsedMs: () => 1234.4 }));
    expect(summary).toMatchObject({ durationMs: 1234, pages: 0, truncated: false });
  });
});
