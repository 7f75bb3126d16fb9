/**
 * The demo web app (demo-app/, started by `npm start`) in a real browser against the emulators: two
 * windows signed in as two seeded demo users, each registering its browser through clients/web with a
 * simulated token from the FCM emulator, push to each other by commenting; sign-out unregisters the device.
 */
import type { ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { deleteApp, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { FieldValue } from "firebase-admin/firestore";
import type { Page } from "playwright-core";
import { adminDb, closeEmulatorConnections, PROJECT_ID } from "../support/emulators";
import { runScript, startDemoServer } from "./support/demoApp";
import { launchChromium, newPage, settled, sidewaysOverflow, type TestBrowser } from "./support/chromium";

const DEMO_UIDS = ["demo-alice", "demo-bob", "demo-minji"];
const PUSH_TIMEOUT_MS = 60_000;

const authApp = initializeApp({ projectId: PROJECT_ID }, `demo-app-test-${randomUUID()}`);
let browser: TestBrowser;
let server: ChildProcess;
let appUrl: string;
const postId = `demo-app-test-${randomUUID()}`;

/** Starts the demo app's server, kept in `server` for afterAll; resolves its URL. */
function startDemo(): Promise<string> {
  const demo = startDemoServer();
  server = demo.server;
  return demo.url;
}

const deviceIdOf = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

beforeAll(async () => {
  // Only inside this run's emulators (adminDb() refuses without them): the seed resets the demo world of
  // whatever emulators listen on the default ports.
  const db = adminDb();
  expect(await runScript("scripts/demo-seed.mjs")).toBe(0);
  // A post of Alice's of its own, so no other test's coalescing window on the demo post is in the way.
  await db
    .collection("posts")
    .doc(postId)
    .set({ authorId: "demo-alice", title: "Browser test post", createdAt: FieldValue.serverTimestamp() });
  [appUrl, browser] = await Promise.all([startDemo(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  const db = adminDb();
  const devices = await db.collection("devices").where("uid", "in", DEMO_UIDS).get();
  const deliveries = await db
    .collection("pushDeliveries")
    .where("postId", "in", [postId, "demo-welcome"])
    .get();
  await Promise.all([...devices.docs, ...deliveries.docs].map((doc) => doc.ref.delete()));
  await Promise.all([postId, "demo-welcome"].map((id) => db.recursiveDelete(db.collection("posts").doc(id))));
  await Promise.all(DEMO_UIDS.map((uid) => db.collection("users").doc(uid).delete()));
  await Promise.all(DEMO_UIDS.map((uid) => db.recursiveDelete(db.collection("notifications").doc(uid))));
  await getAuth(authApp).deleteUsers(DEMO_UIDS);
  await Promise.all([closeEmulatorConnections(), deleteApp(authApp)]);
});

/** Signs in as `name` and turns notifications on; returns the device's token tail shown on the page. */
async function signInAndEnable(page: Page, name: string): Promise<string> {
  await page.goto(`${appUrl}/?post=${postId}`);
  await page.getByRole("button", { name: `Sign in as ${name}` }).click();
  await page.locator("#who-name", { hasText: name }).waitFor();
  await page.getByRole("button", { name: "Turn on notifications" }).click();
  const state = page.locator("#device-state", { hasText: "Notifications are on" });
  await state.waitFor();
  return /device …(\S{6})\./.exec((await state.textContent()) ?? "")?.[1] ?? "";
}

async function commentAs(page: Page, text: string): Promise<void> {
  await page.getByLabel("Your comment").fill(text);
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  await page.locator(".comments li", { hasText: text }).waitFor();
}

describe("the demo web app", () => {
  it("lets two windows, signed in as two users, push to each other; sign-out unregisters the browser", async () => {
    const alice = await newPage(browser.browser, 390);
    const bob = await newPage(browser.browser, 390);
    try {
      const aliceTail = await signInAndEnable(alice.page, "Alice Martin");
      await signInAndEnable(bob.page, "Bob Jones");
      expect(await alice.page.locator("#post-title").textContent()).toBe("Browser test post (your post)");
      const aliceDevices = await adminDb().collection("devices").where("uid", "==", "demo-alice").get();
      const aliceWeb = aliceDevices.docs
        .filter((doc) => doc.get("platform") === "web")
        .map((doc) => doc.get("token") as string);
      expect(aliceWeb.filter((token) => token.endsWith(aliceTail))).toHaveLength(1);

      const fromBob = `Hello Alice, from Bob's window ${Date.now()}`;
      await commentAs(bob.page, fromBob);
      const pushToAlice = alice.page.locator(".pushes li", { hasText: fromBob });
      await pushToAlice.waitFor({ timeout: PUSH_TIMEOUT_MS });
      expect(await pushToAlice.locator(".title").textContent()).toBe("Bob Jones commented on your post");
      // The comment also shows in Alice's copy of the post, live.
      await alice.page.locator(".comments li", { hasText: fromBob }).waitFor();

      const fromAlice = `Thanks Bob ${Date.now()}`;
      await commentAs(alice.page, fromAlice);
      // Bob follows the post now (he commented): he gets Alice's comment, at once or in a digest.
      await bob.page.locator(".pushes li", { hasText: fromAlice }).waitFor({ timeout: PUSH_TIMEOUT_MS });
      // A push is for the others: Alice's own comment never reaches her window.
      expect(await alice.page.locator(".pushes li", { hasText: fromAlice }).count()).toBe(0);

      expect(await sidewaysOverflow(alice.page)).toBe(0);
      expect(await sidewaysOverflow(bob.page)).toBe(0);

      await alice.page.getByRole("button", { name: "Sign out" }).click();
      await alice.page.getByRole("button", { name: "Sign in as Alice Martin" }).waitFor();
      const [token] = aliceWeb.filter((candidate) => candidate.endsWith(aliceTail));
      expect(
        await settled(
          async () =>
            (
              await adminDb()
                .collection("devices")
                .doc(deviceIdOf(token ?? ""))
                .get()
            ).exists,
          false,
        ),
      ).toBe(false);

      expect(alice.consoleErrors).toEqual([]);
      expect(bob.consoleErrors).toEqual([]);
    } finally {
      await alice.context.close();
      await bob.context.close();
    }
  });
});
