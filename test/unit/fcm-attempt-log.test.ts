/** The FCM emulator's attempt log, behind the push inbox: every attempt, tokens cut, pages, filters, a ring. */
import { type AttemptReport, AttemptLog, MAX_PAGE_SIZE } from "../../fcm-emulator/src/attemptLog";

const TOKEN = "a-long-registration-token-ending-in-XYZ789";

function report(n: number, overrides: Partial<AttemptReport> = {}): AttemptReport {
  return {
    project: "p",
    outcome: "accepted",
    httpStatus: 200,
    status: "OK",
    message: { token: `token-${n}-tail${String(n).padStart(2, "0")}`, data: { postId: `post-${n % 3}` } },
    ...overrides,
  };
}

describe("AttemptLog", () => {
  it("keeps only the token's last 6 characters in what it hands out", () => {
    const log = new AttemptLog();
    const attempt = log.record({
      project: "p",
      outcome: "rejected",
      httpStatus: 404,
      status: "UNREGISTERED",
      error: "Requested entity was not found.",
      message: { token: TOKEN, notification: { title: "t", body: "b" } },
    });

    expect(attempt).toMatchObject({
      seq: 1,
      project: "p",
      outcome: "rejected",
      status: "UNREGISTERED",
      tokenTail: "XYZ789",
      message: { token: "…XYZ789", notification: { title: "t", body: "b" } },
    });
    expect(JSON.stringify(log.page({}))).not.toContain(TOKEN);
  });

  it("lists newest first, one page at a time, with a cursor to the next", () => {
    const log = new AttemptLog();
    for (let n = 1; n <= 7; n += 1) log.record(report(n));

    const first = log.page({}, { limit: 3 });
    expect(first.attempts.map((a) => a.seq)).toEqual([7, 6, 5]);
    expect(first).toMatchObject({ matched: 7, total: 7, nextBefore: 5, projects: ["p"] });
    const second = log.page({}, { limit: 3, before: first.nextBefore ?? 0 });
    expect(second.attempts.map((a) => a.seq)).toEqual([4, 3, 2]);
    const last = log.page({}, { limit: 3, before: second.nextBefore ?? 0 });
    expect(last.attempts.map((a) => a.seq)).toEqual([1]);
    expect(last.nextBefore).toBeUndefined();
  });

  it("caps a page at MAX_PAGE_SIZE", () => {
    const log = new AttemptLog();
    for (let n = 1; n <= MAX_PAGE_SIZE + 5; n += 1) log.record(report(n));
    expect(log.page({}, { limit: 100_000 }).attempts).toHaveLength(MAX_PAGE_SIZE);
  });

  it("filters by part of the whole token, post id, outcome, status and project", () => {
    const log = new AttemptLog();
    for (let n = 1; n <= 6; n += 1) log.record(report(n));
    log.record(report(7, { outcome: "rejected", httpStatus: 404, status: "UNREGISTERED" }));
    log.record(report(8, { outcome: "rejected", httpStatus: 503, status: "UNAVAILABLE", project: "q" }));
    const seqs = (filter: Parameters<AttemptLog["page"]>[0]) => log.page(filter).attempts.map((a) => a.seq);

    expect(seqs({ token: "tail04" })).toEqual([4]);
    expect(seqs({ token: "token-5-tail05" })).toEqual([5]);
    expect(seqs({ postId: "post-1" })).toEqual([7, 4, 1]);
    expect(seqs({ status: "rejected" })).toEqual([8, 7]);
    expect(seqs({ status: "accepted" })).toEqual([6, 5, 4, 3, 2, 1]);
    expect(seqs({ status: "UNAVAILABLE" })).toEqual([8]);
    expect(seqs({ project: "q" })).toEqual([8]);
    expect(seqs({ postId: "post-1", status: "rejected" })).toEqual([7]);
    expect(log.page({ postId: "post-1" }).matched).toBe(3);
  });

  it("is a ring: a full log lets the oldest go and counts them", () => {
    const log = new AttemptLog(3);
    for (let n = 1; n <= 8; n += 1) log.record(report(n));

    const page = log.page({});
    expect(page.attempts.map((a) => a.seq)).toEqual([8, 7, 6]);
    expect(page).toMatchObject({ total: 3, dropped: 5, matched: 3 });
  });

  it("clears one project and tells its listeners", () => {
    const log = new AttemptLog(4);
    const events: string[] = [];
    log.subscribe((event) =>
      events.push(event.type === "attempt" ? `attempt ${event.attempt.seq}` : `cleared ${event.project}`),
    );
    for (let n = 1; n <= 6; n += 1) log.record(report(n, { project: n % 2 === 0 ? "p" : "q" }));

    log.clear("p");

    expect(log.page({}).attempts.map((a) => a.seq)).toEqual([5, 3]);
    expect(events.slice(-2)).toEqual(["attempt 6", "cleared p"]);
    log.record(report(7));
    expect(log.page({}).attempts.map((a) => a.seq)).toEqual([7, 5, 3]);
  });

  it("answers whether a recorded attempt matches a live stream's filter", () => {
    const log = new AttemptLog();
    const attempt = log.record(report(4));
    expect(log.matches(attempt.seq, { token: "tail04" })).toBe(true);
    expect(log.matches(attempt.seq, { token: "tail05" })).toBe(false);
    expect(log.matches(attempt.seq, { status: "rejected" })).toBe(false);
  });
});
