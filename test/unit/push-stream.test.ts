// The streamed fan-out's pure parts: messages sent as their pages arrive (deliverStream), the audience's pages
// (commentAudience over in-memory stores), reading one page ahead (readAhead) and working on pages ahead
// (mapAhead).
import { mapAhead, readAhead } from "../../functions/src/push/audience";
import { commentAudience } from "../../functions/src/push/kinds/comment/audience";
import { deliverStream, type DeliveryMessage } from "../../functions/src/push/domain/deliver";
import { defaultRetryPolicy } from "../../functions/src/push/domain/retryPolicy";
import { fakeCommentPushStores, fakeDevice } from "../support/fakeCommentPush";

type Msg = { token: string };
const page = (from: number, n: number): DeliveryMessage<Msg>[] =>
  Array.from({ length: n }, (_, i) => ({ deviceId: `d${from + i}`, message: { token: `t${from + i}` } }));
const options = (sendEach: (messages: Msg[]) => Promise<{ responses: { success: boolean }[] }>) => ({
  sender: { sendEach },
  sleep: () => Promise.resolve(),
  random: () => 0.5,
  now: () => 0,
  policy: { ...defaultRetryPolicy, baseDelayMs: 0 },
});
const accepting = (batches: number[]) => (messages: Msg[]) => {
  batches.push(messages.length);
  return Promise.resolve({ responses: messages.map(() => ({ success: true })) });
};

async function* pagesOf<T>(pages: T[], failAfter?: number): AsyncGenerator<T> {
  for (const [i, item] of pages.entries()) {
    if (i === failAfter) throw new Error("UNAVAILABLE: reading the next page");
    yield await Promise.resolve(item);
  }
}

describe("deliverStream", () => {
  it("cuts pages into batches of 500 as they come, and sends a partial batch when nothing is in flight", async () => {
    const batches: number[] = [];
    const report = await deliverStream(
      pagesOf([page(0, 300), page(300, 900), page(1200, 10)]),
      options(accepting(batches)),
    );
    expect(report).toMatchObject({ sent: 1_210, failed: 0, rejected: [], massRejectionGuardTripped: false });
    // The first page alone (nothing in flight yet), then 500s, and what is left.
    expect(batches.reduce((a, b) => a + b, 0)).toBe(1_210);
    expect(batches[0]).toBe(300);
    expect(batches.every((n) => n <= 500)).toBe(true);
  });

  it("counts what was sent when a later page cannot be read, and reports the error", async () => {
    const batches: number[] = [];
    const { sourceError, ...report } = await deliverStream(
      pagesOf([page(0, 500), page(500, 500), page(1000, 500)], 2),
      options(accepting(batches)),
    );
    expect(report.sent).toBe(1_000);
    expect(String(sourceError)).toContain("UNAVAILABLE");
  });

  it("decides the mass-rejection guard over the whole stream, not page by page", async () => {
    const mismatch = { code: "messaging/mismatched-credential", message: "SenderId mismatch" };
    // Two pages of 8: a quarter mismatched in the first, all in the second: 10 of 16 over the delivery.
    const sendEach = (messages: Msg[]) =>
      Promise.resolve({
        responses: messages.map((m) => {
          const n = Number(m.token.slice(1));
          return n >= 8 || n < 2 ? { success: false, error: mismatch } : { success: true };
        }),
      });
    const report = await deliverStream(pagesOf([page(0, 8), page(8, 8)]), options(sendEach));
    expect(report.massRejectionGuardTripped).toBe(true);
    expect(report.rejected).toEqual([]);
    expect(report.failures["mismatch-guarded"]?.count).toBe(10);
  });

  it("hands each rejection back with the message's ref", async () => {
    const gone = { code: "messaging/registration-token-not-registered", message: "gone" };
    const messages = page(0, 3).map((m, i) => ({ ...m, ref: { owner: `u${i}` } }));
    const report = await deliverStream(
      pagesOf([messages]),
      options((batch) =>
        Promise.resolve({
          responses: batch.map((m) =>
            m.token === "t1" ? { success: false, error: gone } : { success: true },
          ),
        }),
      ),
    );
    expect(report.rejected).toEqual([
      { deviceId: "d1", reason: "unregistered", code: gone.code, ref: { owner: "u1" } },
    ]);
  });
});

describe("commentAudience", () => {
  const devices = [
    fakeDevice("author", "a"),
    fakeDevice("f1", "1"),
    fakeDevice("f2", "2"),
    fakeDevice("f3", "3"),
  ];
  const audience = async (subscribers: { uid: string; muted: boolean }[], commenter = "commenter") => {
    const { stores } = fakeCommentPushStores({ devices, subscribers });
    const pages = [];
    for await (const p of commentAudience(
      stores,
      { postId: "p", postAuthorId: "author", commentAuthorId: commenter },
      2,
    )) {
      pages.push(p);
    }
    return pages;
  };

  it("the post's author first and once, then subscribers a page at a time, without the commenter or the muted", async () => {
    const pages = await audience([
      { uid: "f1", muted: false },
      { uid: "author", muted: false },
      { uid: "commenter", muted: false },
      { uid: "f2", muted: true },
      { uid: "f3", muted: false },
    ]);
    expect(pages.map((p) => p.recipients)).toEqual([["author", "f1"], ["f3"]]);
    expect(pages.flatMap((p) => p.devices.map((d) => d.uid))).toEqual(["author", "f1", "f3"]);
  });

  it("starts with a small page and doubles the pages after it up to the page size", async () => {
    const subscribers = Array.from({ length: 1_000 }, (_, i) => ({ uid: `s${i}`, muted: false }));
    const { stores } = fakeCommentPushStores({ devices: [], subscribers });
    const sizes: number[] = [];
    for await (const p of commentAudience(stores, {
      postId: "p",
      postAuthorId: "author",
      commentAuthorId: "c",
    }))
      sizes.push(p.recipients.length);
    // The author joins the first page; 50, 100, 200, 400, then at most 500 each.
    expect(sizes).toEqual([51, 100, 200, 400, 250]);
  });

  it("leaves out an author who muted the post, wherever their subscriber doc falls", async () => {
    const pages = await audience([
      { uid: "f1", muted: false },
      { uid: "f2", muted: false },
      { uid: "f3", muted: false },
      { uid: "author", muted: true },
    ]);
    expect(pages.flatMap((p) => p.recipients)).toEqual(["f1", "f2", "f3"]);
  });

  it("notifies the author of a post nobody follows, unless they wrote the comment", async () => {
    expect((await audience([])).map((p) => p.recipients)).toEqual([["author"]]);
    expect(await audience([], "author")).toEqual([]);
  });
});

describe("readAhead", () => {
  it("asks for the next item as soon as one is handed over, and rethrows a failed read where it is reached", async () => {
    const asked: number[] = [];
    async function* source() {
      for (let i = 0; i < 3; i++) {
        asked.push(i);
        if (i === 2) throw new Error("read failed");
        yield await Promise.resolve(i);
      }
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(source())) {
          seen.push(item);
          // By the time the consumer has item n, item n + 1 is being read.
          expect(asked).toContain(item + 1);
        }
      })(),
    ).rejects.toThrow("read failed");
    expect(seen).toEqual([0, 1]);
  });
});

describe("mapAhead", () => {
  /** A promise per item, settled by the test. */
  function gated() {
    const started: number[] = [];
    const release = new Map<number, (value: string) => void>();
    const fail = new Map<number, (error: Error) => void>();
    const work = (item: number) => {
      started.push(item);
      return new Promise<string>((resolve, reject) => {
        release.set(item, resolve);
        fail.set(item, reject);
      });
    };
    return { started, release, fail, work };
  }
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it("works on up to `depth` items at once and hands them over in order", async () => {
    const { started, release, work } = gated();
    const iterator = mapAhead(pagesOf([0, 1, 2, 3]), 2, work)[Symbol.asyncIterator]();
    const first = iterator.next();
    await tick();
    expect(started).toEqual([0, 1]);
    // The second finishes first: still handed over after the first.
    release.get(1)!("one");
    release.get(0)!("zero");
    expect(await first).toEqual({ done: false, value: "zero" });
    await tick();
    // Room freed by the first: the third has started, the fourth waits.
    expect(started).toEqual([0, 1, 2]);
    expect(await iterator.next()).toEqual({ done: false, value: "one" });
    release.get(2)!("two");
    expect(await iterator.next()).toEqual({ done: false, value: "two" });
    release.get(3)!("three");
    expect(await iterator.next()).toEqual({ done: false, value: "three" });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("rethrows a failed item where it is reached, and waits for the work started before it returns", async () => {
    const { started, release, fail, work } = gated();
    const seen: string[] = [];
    let finished = false;
    const consumed = (async () => {
      for await (const value of mapAhead(pagesOf([0, 1, 2]), 2, work)) seen.push(value);
    })().finally(() => (finished = true));
    await tick();
    fail.get(0)!(new Error("commit failed"));
    await tick();
    // The second item's work is still running: the consumer's error waits for it.
    expect(finished).toBe(false);
    release.get(1)!("one");
    await expect(consumed).rejects.toThrow("commit failed");
    expect(seen).toEqual([]);
    expect(started).toEqual([0, 1]);
  });

  it("rethrows a failed read of the source where it is reached, after the items before it", async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of mapAhead(pagesOf([0, 1, 2], 2), 3, (n: number) => Promise.resolve(n * 10)))
          seen.push(value);
      })(),
    ).rejects.toThrow("UNAVAILABLE");
    expect(seen).toEqual([0, 10]);
  });
});
