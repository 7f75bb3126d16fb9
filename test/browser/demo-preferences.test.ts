/**
 * The demo web app's notification preferences panel (demo-app/, clients/web/notificationPreferences.ts) in a
 * real browser against the emulators: the switches and quiet hours are saved through the
 * `setNotificationPreferences` callable onto `notifications/{uid}.preferences`, the page shows what the
 * callable answered (and, after a reload, what the doc holds), and a refused change shows the callable's
 * `invalid-argument` message and changes nothing.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { deleteApp, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import type { Page } from "playwright-core";
import { adminDb, closeEmulatorConnections, PROJECT_ID } from "../support/emulators";
import { runScript, startDemoServer } from "./support/demoApp";
import { launchChromium, settled, sidewaysOverflow, type TestBrowser } from "./support/chromium";

const DEMO_UIDS = ["demo-alice", "demo-bob", "demo-minji"];
/** The browser's own zone, set on its context: the panel must offer it for quiet hours. */
const BROWSER_ZONE = "Asia/Seoul";

const authApp = initializeApp({ projectId: PROJECT_ID }, `demo-preferences-test-${randomUUID()}`);
let browser: TestBrowser;
let server: ChildProcess;
let appUrl: string;

/** Starts the demo app's server, kept in `server` for afterAll; resolves its URL. */
function startDemo(): Promise<string> {
  const demo = startDemoServer();
  server = demo.server;
  return demo.url;
}

const notificationsOf = (uid: string) => adminDb().collection("notifications").doc(uid);

beforeAll(async () => {
  // Only inside this run's emulators (adminDb() refuses without them): the seed resets the demo world of
  // whatever emulators listen on the default ports, preferences included.
  adminDb();
  expect(await runScript("scripts/demo-seed.mjs")).toBe(0);
  [appUrl, browser] = await Promise.all([startDemo(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  const db = adminDb();
  const devices = await db.collection("devices").where("uid", "in", DEMO_UIDS).get();
  await Promise.all(devices.docs.map((doc) => doc.ref.delete()));
  await db.recursiveDelete(db.collection("posts").doc("demo-welcome"));
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

const stored = (page: Page) => page.locator("#stored-preferences");

async function save(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Save preferences" }).click();
}

describe("the demo web app's notification preferences", () => {
  it("saves switches and quiet hours through the callable, shows them back, and shows a refusal without a change", async () => {
    const context = await browser.browser.newContext({
      viewport: { width: 390, height: 900 },
      timezoneId: BROWSER_ZONE,
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
    try {
      await page.goto(appUrl);
      await page.getByRole("button", { name: "Sign in as Bob Jones" }).click();
      await page.locator("#who-name", { hasText: "Bob Jones" }).waitFor();
      // As seeded: a new user's preferences, read from notifications/{uid}.
      await stored(page)
        .filter({ hasText: "Comments: on · New followers: on · Announcements: on · Quiet hours: none" })
        .waitFor();
      expect(await page.getByLabel("No quiet hours", { exact: true }).isChecked()).toBe(true);
      // Quiet hours default to the browser's own time zone.
      expect(await page.getByLabel("Time zone", { exact: true }).inputValue()).toBe(BROWSER_ZONE);

      // Comments off.
      await page.getByLabel("Comments", { exact: true }).uncheck();
      await save(page);
      await stored(page).filter({ hasText: "Comments: off · New followers: on" }).waitFor();
      expect(
        await settled(
          async () => (await notificationsOf("demo-bob").get()).get("preferences.kinds.comments") as unknown,
          false,
        ),
      ).toBe(false);

      // Quiet hours across midnight, in the browser's zone.
      await page.getByLabel("Quiet from", { exact: true }).check();
      await page.getByLabel("Start", { exact: true }).fill("22:30");
      await page.getByLabel("End", { exact: true }).fill("07:00");
      await save(page);
      await stored(page)
        .filter({ hasText: `Quiet hours: 22:30–07:00, ${BROWSER_ZONE}` })
        .waitFor();
      const saved = {
        kinds: { comments: false, follows: true, announcements: true },
        quietHours: { start: "22:30", end: "07:00", timeZone: BROWSER_ZONE },
      };
      const before = await notificationsOf("demo-bob").get();
      expect(before.get("preferences")).toEqual(saved);
      expect(await page.locator("#preferences-error").isHidden()).toBe(true);

      // A bad change: start equal to end (and follows off, which must not be stored either).
      await page.getByLabel("New followers", { exact: true }).uncheck();
      await page.getByLabel("Start", { exact: true }).fill("07:00");
      await save(page);
      const refusal = page.locator("#preferences-error");
      await refusal.filter({ hasText: "start and end must differ" }).waitFor();
      expect(await refusal.textContent()).toContain("quietHours.end");
      // Still what the callable last answered, and the doc untouched.
      expect(await stored(page).textContent()).toBe(
        `Comments: off · New followers: on · Announcements: on · Quiet hours: 22:30–07:00, ${BROWSER_ZONE}`,
      );
      const after = await notificationsOf("demo-bob").get();
      expect(after.updateTime?.isEqual(before.updateTime!)).toBe(true);
      expect(after.get("preferences")).toEqual(saved);

      // Another window of the same user (a reload keeps the tab's sign-in) reads what is stored.
      await page.reload();
      await stored(page).filter({ hasText: `Comments: off · New followers: on` }).waitFor();
      expect(await page.getByLabel("Comments", { exact: true }).isChecked()).toBe(false);
      expect(await page.getByLabel("Quiet from", { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel("Start", { exact: true }).inputValue()).toBe("22:30");

      // No quiet hours again; the error is gone once a change is accepted.
      await page.getByLabel("No quiet hours", { exact: true }).check();
      expect(await page.getByLabel("Start", { exact: true }).isDisabled()).toBe(true);
      await save(page);
      await stored(page).filter({ hasText: "Quiet hours: none" }).waitFor();
      expect((await notificationsOf("demo-bob").get()).get("preferences.quietHours")).toBeNull();

      expect(await sidewaysOverflow(page)).toBe(0);
      // The refused call's HTTP 400 is the only error the browser logs.
      expect(consoleErrors.filter((text) => !/status of 400/.test(text))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
