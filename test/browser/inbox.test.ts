/**
 * The push inbox (GET / of the FCM emulator) in a real browser, fed by the real flow: a comment written
 * through the client SDK fires the comment trigger in the Functions emulator, which sends through
 * firebase-admin to the harness's FCM emulator; the open page shows each attempt as it is answered.
 */
import type { Page } from "playwright-core";
import {
  cleanUp,
  clearFaults,
  comment,
  type Device,
  registerDevice,
  setProfile,
  writePost,
} from "../support/commentPush";
import { closeEmulatorConnections, PROJECT_ID, signedInClient } from "../support/emulators";
import { launchChromium, newPage, settled, sidewaysOverflow, type TestBrowser } from "./support/chromium";

const INBOX = `http://${process.env.FCM_EMULATOR_HOST ?? "127.0.0.1:9599"}/`;
/** The first trigger run loads the function; a 503 fault adds firebase-admin's own retries. */
const PUSH_TIMEOUT_MS = 60_000;

const made = {
  devices: [] as Device[],
  uids: [] as string[],
  postIds: [] as string[],
  commentIds: [] as string[],
};
let browser: TestBrowser;
let page: Page;
let consoleErrors: string[];

/** A post with an author who has a live device and a dead one, and a commenter with a name. */
async function arrangePost(title: string) {
  const [author, commenter] = await Promise.all([signedInClient(), signedInClient()]);
  await Promise.all([setProfile(author, "Ada Author"), setProfile(commenter, "Carl Commenter")]);
  const live = await registerDevice(author, { platform: "android", locale: "en-US" });
  const dead = await registerDevice(author, { prefix: "unregistered", platform: "web" });
  const postId = await writePost(author, title);
  made.devices.push(live, dead);
  made.uids.push(author.uid, commenter.uid);
  made.postIds.push(postId);
  return { commenter, postId, live, dead };
}

async function commentOn(arranged: Awaited<ReturnType<typeof arrangePost>>, text: string): Promise<void> {
  made.commentIds.push(await comment(arranged.commenter, arranged.postId, text));
}

const tail = (token: string) => token.slice(-6);
const card = (text: string) => page.locator(".card", { hasText: text });

async function clearLog(): Promise<void> {
  await fetch(`${INBOX}emulator/v1/projects/${PROJECT_ID}/messages`, { method: "DELETE" });
}

beforeAll(async () => {
  await clearFaults();
  await clearLog();
  browser = await launchChromium();
  ({ page, consoleErrors } = await newPage(browser.browser));
  await page.goto(INBOX);
  await page.locator("#connection[data-state=live]").waitFor();
});

afterAll(async () => {
  await clearFaults();
  await browser?.close();
  await cleanUp(made);
  await closeEmulatorConnections();
});

describe("the push inbox", () => {
  it("shows a comment's push as it is sent, without a reload, and a dead token's attempt as UNREGISTERED", async () => {
    await page.evaluate("window.__sameDocument = true");
    const arranged = await arrangePost("Inbox live test");
    const text = `Live in the inbox ${Date.now()}`;

    await commentOn(arranged, text);

    const accepted = page.locator(".card.accepted", { hasText: text });
    await accepted.waitFor({ timeout: PUSH_TIMEOUT_MS });
    await expect(accepted.locator(".title").textContent()).resolves.toBe(
      "Carl Commenter commented on your post",
    );
    await expect(accepted.locator(".body").textContent()).resolves.toBe(text);
    await expect(accepted.textContent()).resolves.toContain(`…${tail(arranged.live.token)}`);
    await expect(accepted.textContent()).resolves.toContain(arranged.postId);

    const rejected = page.locator(".card.rejected", { hasText: text });
    await rejected.waitFor({ timeout: PUSH_TIMEOUT_MS });
    await expect(rejected.getAttribute("data-status")).resolves.toBe("UNREGISTERED");
    await expect(rejected.locator(".badge.outcome").textContent()).resolves.toBe("UNREGISTERED · 404");
    await expect(rejected.textContent()).resolves.toContain(`…${tail(arranged.dead.token)}`);
    // Visibly different: another background than an accepted card.
    const background = async (locator: typeof accepted) => {
      const seq = await locator.getAttribute("data-seq");
      return page.evaluate<string>(
        `getComputedStyle(document.querySelector('.card[data-seq="${seq}"]')).backgroundColor`,
      );
    };
    expect(await background(rejected)).not.toBe(await background(accepted));

    // The whole message opens on demand, still without the whole token.
    await accepted.locator(".whole summary").click();
    // The page fills it on the `toggle` event, a task after the click: wait for it as a reader would.
    const pre = accepted.locator(".whole pre").filter({ hasText: '"message"' });
    await pre.waitFor();
    const whole = JSON.parse((await pre.textContent()) ?? "{}") as {
      message: { token: string; data: Record<string, string> };
    };
    expect(whole.message).toMatchObject({
      token: `…${tail(arranged.live.token)}`,
      data: { type: "comment" },
    });

    expect(await page.evaluate("window.__sameDocument")).toBe(true);
    const html = await page.content();
    for (const token of [arranged.live.token, arranged.dead.token]) expect(html).not.toContain(token);
  });

  it("filters by post id, token and status through its own controls", async () => {
    const first = await arrangePost("Inbox filter test one");
    const second = await arrangePost("Inbox filter test two");
    const [textOne, textTwo] = [`Filter one ${Date.now()}`, `Filter two ${Date.now()}`];
    await commentOn(first, textOne);
    await commentOn(second, textTwo);
    await card(textOne).first().waitFor({ timeout: PUSH_TIMEOUT_MS });
    await card(textTwo).first().waitFor({ timeout: PUSH_TIMEOUT_MS });
    await page.locator(".card.rejected", { hasText: textTwo }).waitFor({ timeout: PUSH_TIMEOUT_MS });

    await page.getByLabel("Post id").fill(first.postId);
    expect(await settled(() => card(textTwo).count(), 0)).toBe(0);
    expect(await settled(() => card(textOne).count(), 2)).toBe(2);

    await page.getByLabel("Post id").fill("");
    await page.getByLabel("Token").fill(tail(second.live.token));
    expect(await settled(() => card(textOne).count(), 0)).toBe(0);
    expect(await settled(() => page.locator(".card").count(), 1)).toBe(1);
    await expect(card(textTwo).getAttribute("data-outcome")).resolves.toBe("accepted");

    await page.getByLabel("Token").fill("");
    await page.getByLabel("Status").selectOption("UNREGISTERED");
    expect(await settled(() => page.locator(".card.accepted").count(), 0)).toBe(0);
    expect(await settled(() => page.locator(".card.rejected", { hasText: textTwo }).count(), 1)).toBe(1);
    expect(await settled(() => page.locator(".card.rejected", { hasText: textOne }).count(), 1)).toBe(1);
    // The filter holds for what arrives live, too.
    const third = await arrangePost("Inbox filter test three");
    const textThree = `Filter three ${Date.now()}`;
    await commentOn(third, textThree);
    await page.locator(".card.rejected", { hasText: textThree }).waitFor({ timeout: PUSH_TIMEOUT_MS });
    expect(await page.locator(".card.accepted").count()).toBe(0);

    await page.getByLabel("Status").selectOption("");
    await card(textThree).and(page.locator(".accepted")).waitFor({ timeout: PUSH_TIMEOUT_MS });
  });

  it("clears the log with its Clear button, the same clear the API has", async () => {
    await page.locator(".card").first().waitFor();

    await page.getByRole("button", { name: "Clear log" }).click();

    expect(await settled(() => page.locator(".card").count(), 0)).toBe(0);
    await expect(page.locator("#empty").isVisible()).resolves.toBe(true);
    const answer = (await (await fetch(`${INBOX}emulator/v1/projects/${PROJECT_ID}/messages`)).json()) as {
      messages: unknown[];
    };
    expect(answer.messages).toEqual([]);
  });

  it("switches the fault injection (status, count, Retry-After), and shows the failed attempts", async () => {
    await page.locator("#faults-panel summary").click();
    await page.getByLabel("Fail with").selectOption("503");
    await page.getByLabel("Count").fill("1");
    await page.getByLabel("Retry-After (s)").fill("1");
    await page.getByRole("button", { name: "Fail the next sends" }).click();

    expect(
      await settled(
        () => page.locator("#fault-state").textContent(),
        "503 for the next 1 send, Retry-After 1 s",
      ),
    ).toBe("503 for the next 1 send, Retry-After 1 s");
    const armed: unknown = await (await fetch(`${INBOX}emulator/v1/faults`)).json();
    expect(armed).toEqual({ fault: { kind: "status", status: 503, retryAfterSeconds: 1 }, remaining: 1 });

    const arranged = await arrangePost("Inbox fault test");
    const text = `Through an outage ${Date.now()}`;
    await commentOn(arranged, text);
    // The first send meets the outage; firebase-admin retries it after Retry-After and gets through.
    await page.locator('.card.rejected[data-status="UNAVAILABLE"]', { hasText: text }).waitFor({
      timeout: PUSH_TIMEOUT_MS,
    });
    await page.locator(".card.accepted", { hasText: text }).waitFor({ timeout: PUSH_TIMEOUT_MS });
    expect(await settled(() => page.locator("#fault-state").textContent(), "off")).toBe("off");

    await page.getByLabel("Count").fill("5");
    await page.getByLabel("Retry-After (s)").fill("");
    await page.getByLabel("Fail with").selectOption("429");
    await page.getByRole("button", { name: "Fail the next sends" }).click();
    expect(await settled(() => page.locator("#fault-state").textContent(), "429 for the next 5 sends")).toBe(
      "429 for the next 5 sends",
    );
    await page.getByRole("button", { name: "Turn off" }).click();
    expect(await settled(() => page.locator("#fault-state").textContent(), "off")).toBe("off");
    expect(await (await fetch(`${INBOX}emulator/v1/faults`)).json()).toEqual({});
  });

  it("needs no sideways scrolling at 390 px, with long unbroken text in a card and every panel open", async () => {
    const arranged = await arrangePost("Inbox width test");
    const text = `Wide${"x".repeat(300)}`;
    await commentOn(arranged, text);
    const phone = await newPage(browser.browser, 390);
    try {
      await phone.page.goto(INBOX);
      await phone.page.locator(".card", { hasText: "Wide" }).first().waitFor({ timeout: PUSH_TIMEOUT_MS });
      await phone.page.locator("#faults-panel summary").click();
      await phone.page.locator(".card .whole summary").first().click();

      expect(await sidewaysOverflow(phone.page)).toBe(0);
      expect(phone.consoleErrors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  });

  it("logged no console errors through all of the above", () => {
    expect(consoleErrors).toEqual([]);
  });
});
