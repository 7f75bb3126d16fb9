// `npm run screenshots`: pictures of the push inbox and the demo web app for docs/inbox.md, taken in
// Debian's chromium (playwright-core; never a downloaded browser) from a real run: inside the emulators
// (`npm run screenshots` starts them), it seeds the demo world, starts the demo app, and has Alice and Bob
// push to each other through it; one of Bob's old devices has a dead token, so the inbox shows a rejection.
//
// Writes docs/img/inbox.png (desktop), docs/img/inbox-phone.png (390 px) and docs/img/demo-app.png.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startDemoApp } from "../demo-app/server.mjs";
import { DEMO_POST, DEMO_USERS, HOSTS, PROJECT_ID } from "./demo-world.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "docs", "img");
const INBOX = `http://${HOSTS.fcm}/`;
const PUSH_TIMEOUT_MS = 60_000;
const DEAD_TOKEN = "unregistered-demo-fcm-token-bob-old-laptop";
const { listEntryOf } = createRequire(import.meta.url)("../functions/lib/devices/seed.js");

function say(line) {
  console.log(`[screenshots] ${line}`);
}

function seed() {
  const seeded = spawnSync(process.execPath, [path.join(ROOT, "scripts/demo-seed.mjs")], {
    stdio: "inherit",
  });
  if (seeded.status !== 0) throw new Error("the demo seed failed");
}

/** Bob's laptop, long uninstalled: FCM answers UNREGISTERED for its token. */
async function addDeadDevice() {
  const { initializeApp, deleteApp } = await import("firebase-admin/app");
  const { getFirestore, FieldValue } = await import("firebase-admin/firestore");
  const app = initializeApp({ projectId: PROJECT_ID }, "screenshots");
  try {
    const db = getFirestore(app);
    const id = createHash("sha256").update(DEAD_TOKEN, "utf8").digest("hex");
    const device = {
      uid: DEMO_USERS.bob.uid,
      token: DEAD_TOKEN,
      platform: "web",
      locale: "en-GB",
      appVersion: "0.9.0",
      createdAt: FieldValue.serverTimestamp(),
      lastSeenAt: FieldValue.serverTimestamp(),
    };
    // The device and its entry on its owner's list, which is what a fan-out reads (docs/api.md).
    const batch = db.batch();
    batch.set(db.collection("devices").doc(id), device);
    batch.set(
      db.collection("userDevices").doc(device.uid),
      { devices: { [id]: listEntryOf(device) } },
      { merge: true },
    );
    await batch.commit();
  } finally {
    await deleteApp(app);
  }
}

async function clearInbox() {
  await fetch(`http://${HOSTS.fcm}/emulator/v1/projects/${PROJECT_ID}/messages`, { method: "DELETE" });
}

async function signInAndEnable(page, url, displayName) {
  await page.goto(url);
  await page.getByRole("button", { name: `Sign in as ${displayName}` }).click();
  await page.getByRole("button", { name: "Turn on notifications" }).click();
  await page.getByText("Notifications are on").waitFor();
}

async function comment(page, text) {
  await page.getByLabel("Your comment").fill(text);
  await page.getByRole("button", { name: "Comment", exact: true }).click();
  await page.locator(".comments li", { hasText: text }).waitFor();
}

async function main() {
  seed();
  await addDeadDevice();
  await clearInbox();
  const demo = await startDemoApp({ port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
    ],
  });
  try {
    mkdirSync(OUT, { recursive: true });
    const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 };
    const alice = await (await browser.newContext(phone)).newPage();
    const bob = await (await browser.newContext(phone)).newPage();
    const postUrl = `${demo.url}/?post=${DEMO_POST.id}`;
    await signInAndEnable(alice, postUrl, DEMO_USERS.alice.displayName);
    await signInAndEnable(bob, postUrl, DEMO_USERS.bob.displayName);
    say("Alice and Bob signed in, each with this browser registered");

    await comment(bob, "Looks great! Trying it on my phone tonight.");
    await alice.locator(".pushes li").first().waitFor({ timeout: PUSH_TIMEOUT_MS });
    say("Bob commented; Alice's window shows the push");
    await comment(alice, "Thanks Bob, tell me how it goes 🙌");
    await bob.locator(".pushes li").first().waitFor({ timeout: PUSH_TIMEOUT_MS });
    say("Alice answered; Bob's window shows the push");

    await alice.screenshot({ path: path.join(OUT, "demo-app.png"), fullPage: true });

    const inbox = await (await browser.newContext({ viewport: { width: 1100, height: 1250 } })).newPage();
    await inbox.goto(INBOX);
    await inbox.locator(".card.rejected").first().waitFor({ timeout: PUSH_TIMEOUT_MS });
    await inbox.locator("#faults-panel summary").click();
    await inbox.screenshot({ path: path.join(OUT, "inbox.png") });
    const inboxPhone = await (await browser.newContext(phone)).newPage();
    await inboxPhone.goto(INBOX);
    await inboxPhone.locator(".card").first().waitFor();
    await inboxPhone.screenshot({ path: path.join(OUT, "inbox-phone.png") });
    say(`wrote ${["inbox.png", "inbox-phone.png", "demo-app.png"].map((f) => `docs/img/${f}`).join(", ")}`);
  } finally {
    await browser.close();
    await demo.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`[screenshots] failed: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
