/**
 * The demo web app's bell and notification feed (demo-app/, clients/web/notificationFeed.ts) in a real browser
 * against the emulators: one user signed in in two tabs of one browser; another demo user's comment on a post
 * the first follows is fanned out by the Functions emulator's comment trigger, which writes the feed item and
 * raises `notifications/{uid}.unread`: both tabs' bells go up by one and show the item, live. "Mark all read"
 * in one tab (the `markNotificationsRead` callable) clears it, and the other tab sees the count drop without a
 * reload; so does a click on one item. Each time the user's device gets the silent badge update.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { deleteApp, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { FieldValue } from "firebase-admin/firestore";
import type { Page } from "playwright-core";
import { messagesTo } from "../support/commentPush";
import { adminDb, closeEmulatorConnections, PROJECT_ID } from "../support/emulators";
import { runScript, startDemoServer } from "./support/demoApp";
import { launchChromium, settled, sidewaysOverflow, type TestBrowser } from "./support/chromium";

const DEMO_UIDS = ["demo-alice", "demo-bob", "demo-minji"];
/** The reader: 김민지, who follows the test's posts (Alice wrote them, Bob comments). */
const READER = { uid: "demo-minji", name: "김민지" };
const PUSH_TIMEOUT_MS = 60_000;
/** A callable's first call waits for the Functions emulator to start a worker. */
const CALL_TIMEOUT_MS = 60_000;

const authApp = initializeApp({ projectId: PROJECT_ID }, `demo-feed-test-${randomUUID()}`);
let browser: TestBrowser;
let server: ChildProcess;
let appUrl: string;
// Posts of their own, so no other test's coalescing window is in the way: each comment is pushed at once.
const firstPost = `demo-feed-test-${randomUUID()}`;
const secondPost = `demo-feed-test-${randomUUID()}`;

/** Starts the demo app's server, kept in `server` for afterAll; resolves its URL. */
function startDemo(): Promise<string> {
  const demo = startDemoServer();
  server = demo.server;
  return demo.url;
}

const notificationsOf = (uid: string) => adminDb().collection("notifications").doc(uid);

beforeAll(async () => {
  // Only inside this run's emulators (adminDb() refuses without them). The reader starts with an empty feed.
  const db = adminDb();
  await Promise.all(DEMO_UIDS.map((uid) => db.recursiveDelete(notificationsOf(uid))));
  expect(await runScript("scripts/demo-seed.mjs")).toBe(0);
  for (const [postId, title] of [
    [firstPost, "Feed test post"],
    [secondPost, "Another feed test post"],
  ] as const) {
    const post = db.collection("posts").doc(postId);
    await post.set({ authorId: "demo-alice", title, createdAt: FieldValue.serverTimestamp() });
    // Following a post, as the server records it (`since`: the commit time, which the roster relies on).
    await post
      .collection("subscribers")
      .doc(READER.uid)
      .set({ muted: false, since: FieldValue.serverTimestamp() });
  }
  [appUrl, browser] = await Promise.all([startDemo(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  const db = adminDb();
  const posts = [firstPost, secondPost, "demo-welcome"];
  const devices = await db.collection("devices").where("uid", "in", DEMO_UIDS).get();
  const deliveries = await db.collection("pushDeliveries").where("postId", "in", posts).get();
  await Promise.all([...devices.docs, ...deliveries.docs].map((doc) => doc.ref.delete()));
  await Promise.all(posts.map((id) => db.recursiveDelete(db.collection("posts").doc(id))));
  await Promise.all(
    DEMO_UIDS.flatMap((uid) => [
      db.collection("users").doc(uid).delete(),
      db.collection("userDevices").doc(uid).delete(),
      db.recursiveDelete(notificationsOf(uid)),
    ]),
  );
  await getAuth(authApp).deleteUsers(DEMO_UIDS);
  await Promise.all([closeEmulatorConnections(), deleteApp(authApp)]);
});

/** Bob's comment, written as the demo app writes one (the rules' shape), through the Admin SDK. */
async function bobComments(postId: string, text: string): Promise<string> {
  const comment = await adminDb()
    .collection("posts")
    .doc(postId)
    .collection("comments")
    .add({ authorId: "demo-bob", text, createdAt: FieldValue.serverTimestamp() });
  return comment.id;
}

const bell = (page: Page) => page.locator("#unread-count");
const itemOf = (page: Page, text: string) => page.locator("#feed li", { hasText: text });

async function signIn(page: Page, postId: string): Promise<void> {
  await page.goto(`${appUrl}/?post=${postId}`);
  await page.getByRole("button", { name: `Sign in as ${READER.name}` }).click();
  await page.locator("#who-name", { hasText: READER.name }).waitFor();
}

/** Marks the page's window, so that a later check tells whether it was reloaded since. */
async function markWindow(page: Page): Promise<void> {
  await page.evaluate("window.__notReloaded = true");
}
const notReloaded = (page: Page) => page.evaluate<boolean>("window.__notReloaded === true");

/** The reader's device tokens (the seed's iPhone). */
async function readerTokens(): Promise<string[]> {
  const devices = await adminDb().collection("devices").where("uid", "==", READER.uid).get();
  return devices.docs.map((doc) => doc.get("token") as string);
}

/** The silent badge updates the FCM emulator accepted for the reader's seeded iPhone. */
async function badgeUpdatesToReader(): Promise<string[]> {
  const messages = await messagesTo(await readerTokens());
  return messages.filter((message) => message.data.type === "badge").map((message) => message.data.unread!);
}

describe("the demo web app's bell and feed", () => {
  it("raises the bell by one for another user's comment, shows the item, and marks read across tabs without a reload", async () => {
    // Two tabs of one browser: the same person. Sign-in lives in each tab's sessionStorage, so each signs in.
    const context = await browser.browser.newContext({ viewport: { width: 390, height: 900 } });
    const consoleErrors: string[] = [];
    const tab = async () => {
      const page = await context.newPage();
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
      return page;
    };
    try {
      const first = await tab();
      const second = await tab();
      await signIn(first, firstPost);
      await signIn(second, firstPost);
      for (const page of [first, second]) {
        await page.locator("#feed-panel").waitFor();
        await page.locator("#feed-empty").waitFor();
        expect(await bell(page).textContent()).toBe("0");
        expect(await page.getByRole("button", { name: "Mark all read" }).isDisabled()).toBe(true);
        await markWindow(page);
      }

      // Bob comments on a post 김민지 follows: the trigger writes her item and raises her count by one.
      const text = `Feed test from Bob ${Date.now()}`;
      const commentId = await bobComments(firstPost, text);
      for (const page of [first, second]) {
        await bell(page).filter({ hasText: /^1$/ }).waitFor({ timeout: PUSH_TIMEOUT_MS });
        await itemOf(page, text).waitFor();
        expect(await itemOf(page, text).getAttribute("class")).toBe("unread");
        expect(await page.locator("#bell").getAttribute("aria-label")).toBe("Notifications: 1 unread");
      }
      expect(await first.title()).toBe("(1) Push demo");
      // Her feed item is the push as her latest device shows it (her iPhone, in Korean).
      expect(await itemOf(first, text).locator(".title").textContent()).toBe(
        "팔로우 중인 글에 Bob Jones님의 새 댓글",
      );
      const items = await notificationsOf(READER.uid).collection("items").get();
      expect(items.docs.map((doc) => doc.data())).toEqual([
        expect.objectContaining({
          kind: "comment",
          read: false,
        }),
      ]);
      expect(items.docs[0]?.get("data")).toEqual(
        expect.objectContaining({ type: "comment", postId: firstPost, commentId }),
      );
      // Her iPhone's push carried the count, its own item included.
      const [pushed] = (await messagesTo(await readerTokens())).filter(
        (message) => message.data.commentId === commentId,
      );
      expect(pushed?.data.unread).toBe("1");
      expect(pushed?.apns?.payload?.aps?.badge).toBe(1);

      // "Mark all read" in the first tab: the callable clears the count; the second tab follows, live.
      await first.getByRole("button", { name: "Mark all read" }).click();
      for (const page of [first, second]) {
        await bell(page).filter({ hasText: /^0$/ }).waitFor({ timeout: CALL_TIMEOUT_MS });
        await page.locator("#feed li.read", { hasText: text }).waitFor();
        expect(await page.getByRole("button", { name: "Mark all read" }).isDisabled()).toBe(true);
      }
      expect(await first.title()).toBe("Push demo");
      expect(await notReloaded(second)).toBe(true);
      expect((await notificationsOf(READER.uid).get()).get("unread")).toBe(0);
      // Her devices were told: a silent badge update with the new count.
      expect(await settled(badgeUpdatesToReader, ["0"])).toEqual(["0"]);

      // A comment on her other followed post; one click on its item in the second tab reads it (and opens
      // that post there); the first tab's bell drops and the item dims, again without a reload.
      const another = `Another from Bob ${Date.now()}`;
      await bobComments(secondPost, another);
      for (const page of [first, second]) {
        await bell(page).filter({ hasText: /^1$/ }).waitFor({ timeout: PUSH_TIMEOUT_MS });
        await itemOf(page, another).waitFor();
      }
      // Newest first; the one read before stays dimmed.
      expect(await first.locator("#feed li").allTextContents()).toEqual([
        expect.stringContaining(another),
        expect.stringContaining(text),
      ]);
      await itemOf(second, another).click();
      await bell(first).filter({ hasText: /^0$/ }).waitFor({ timeout: CALL_TIMEOUT_MS });
      await first.locator("#feed li.read", { hasText: another }).waitFor();
      expect(await notReloaded(first)).toBe(true);
      await second.waitForURL((url) => url.searchParams.get("post") === secondPost);
      await second.locator("#post-title", { hasText: "Another feed test post" }).waitFor();
      expect(await bell(second).textContent()).toBe("0");
      expect(await settled(badgeUpdatesToReader, ["0", "0"])).toEqual(["0", "0"]);

      expect(await sidewaysOverflow(first)).toBe(0);
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);
});
