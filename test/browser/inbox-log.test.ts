/**
 * The push inbox against FCM emulators of its own (free ports; the harness's one on 9599 stays
 * untouched): with the log full (100,000 attempts) it shows one page of cards and pages on demand, and it
 * reconnects by itself when the emulator restarts.
 */
import { AttemptLog } from "../../fcm-emulator/src/attemptLog";
import { DEFAULT_LOG_CAPACITY } from "../../fcm-emulator/src/messageLog";
import { type RunningFcmEmulator, startFcmEmulator } from "../../fcm-emulator/src/server";
import { launchChromium, newPage, settled, sidewaysOverflow, type TestBrowser } from "./support/chromium";

let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

async function send(emulator: RunningFcmEmulator, token: string, title: string): Promise<number> {
  const response = await fetch(`${emulator.url}/v1/projects/demo-push/messages:send`, {
    method: "POST",
    headers: { Authorization: "Bearer test", "Content-Type": "application/json" },
    body: JSON.stringify({
      message: { token, notification: { title, body: "b" }, data: { postId: "p-live" } },
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("the push inbox with a full log", () => {
  const log = new AttemptLog();
  let emulator: RunningFcmEmulator;

  beforeAll(async () => {
    // As the send route records them: every 10th attempt rejected, posts p-0 .. p-99.
    for (let i = 0; i < DEFAULT_LOG_CAPACITY; i += 1) {
      const rejected = i % 10 === 0;
      log.record({
        project: "demo-push",
        outcome: rejected ? "rejected" : "accepted",
        httpStatus: rejected ? 404 : 200,
        status: rejected ? "UNREGISTERED" : "OK",
        message: {
          token: `token-${i}-${rejected ? "dead" : "live"}-${String(i).padStart(6, "0")}`,
          notification: { title: `Push number ${i}`, body: `Body of push ${i}` },
          data: { type: "comment", postId: `p-${i % 100}`, commentId: `c-${i}` },
        },
      });
    }
    emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0, attemptLog: log });
  });

  afterAll(async () => {
    await emulator?.close();
  });

  it("shows the newest page, counts them all, pages on demand, filters on the server, and stays live", async () => {
    const { page, context, consoleErrors } = await newPage(browser.browser, 390);
    try {
      await page.goto(`${emulator.url}/`);
      await page.locator(".card").first().waitFor();

      expect(await page.locator("#counts").textContent()).toBe("100,000 attempts, 100 shown");
      expect(await page.locator(".card").count()).toBe(100);
      expect(await page.locator(".card .title").first().textContent()).toBe("Push number 99999");

      await page.getByRole("button", { name: "Show older" }).click();
      expect(await settled(() => page.locator(".card").count(), 200)).toBe(200);
      expect(await page.locator(".card .title").last().textContent()).toBe("Push number 99800");

      await page.getByLabel("Post id").fill("p-7");
      expect(
        await settled(() => page.locator("#counts").textContent(), "1,000 matching attempts, 100 shown"),
      ).toBe("1,000 matching attempts, 100 shown");
      expect(await page.locator(".card .title").first().textContent()).toBe("Push number 99907");

      await page.getByLabel("Post id").fill("");
      await page.getByLabel("Status").selectOption("UNREGISTERED");
      expect(
        await settled(() => page.locator("#counts").textContent(), "10,000 matching attempts, 100 shown"),
      ).toBe("10,000 matching attempts, 100 shown");

      await page.getByLabel("Status").selectOption("");
      expect(
        await settled(() => page.locator(".card .title").first().textContent(), "Push number 99999"),
      ).toBe("Push number 99999");
      expect(await send(emulator, "token-newest-abcdef", "The newest push")).toBe(200);
      expect(await settled(() => page.locator(".card .title").first().textContent(), "The newest push")).toBe(
        "The newest push",
      );
      // The log is a ring: the oldest attempt made room, the count stays at the capacity. The count line
      // is redrawn apart from the cards: wait for it too (the text it shows, if it never matches). The
      // newest push is on the page either prepended live (101 shown) or in the newest page itself, when
      // the filter's reload and the push crossed (100 shown).
      const counts = await settled(async () => {
        const text = (await page.locator("#counts").textContent()) ?? "";
        return /^100,00[01] attempts, 10[01] shown/.test(text) ? "ring at capacity" : text;
      }, "ring at capacity");
      expect(counts).toBe("ring at capacity");
      expect(await sidewaysOverflow(page)).toBe(0);
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe("the push inbox across an emulator restart", () => {
  it("reconnects by itself and shows what the new emulator receives, without a reload", async () => {
    let emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0 });
    const { port } = emulator;
    const { page, context } = await newPage(browser.browser);
    try {
      await page.goto(`${emulator.url}/`);
      await page.locator("#connection[data-state=live]").waitFor();
      expect(await send(emulator, "token-before-restart", "Before the restart")).toBe(200);
      await page.locator(".card", { hasText: "Before the restart" }).waitFor();
      await page.evaluate("window.__sameDocument = true");

      await emulator.close();
      await page.locator("#connection[data-state=down]").waitFor();
      emulator = await startFcmEmulator({ host: "127.0.0.1", port });
      await page.locator("#connection[data-state=live]").waitFor({ timeout: 30_000 });
      expect(await send(emulator, "token-after-restart", "After the restart")).toBe(200);

      await page.locator(".card", { hasText: "After the restart" }).waitFor();
      // The new emulator's log starts empty, and the page shows it as it is.
      expect(await settled(() => page.locator(".card").count(), 1)).toBe(1);
      expect(await page.evaluate("window.__sameDocument")).toBe(true);
    } finally {
      await context.close();
      await emulator.close();
    }
  });
});

describe("the push inbox while its list reloads", () => {
  it("keeps a push that arrives live while the reload's older answer is on its way", async () => {
    const emulator = await startFcmEmulator({ host: "127.0.0.1", port: 0 });
    const { page, context, consoleErrors } = await newPage(browser.browser);
    try {
      expect(await send(emulator, "token-earlier-abcdef", "The earlier push")).toBe(200);
      await page.goto(`${emulator.url}/`);
      await page.locator("#connection[data-state=live]").waitFor();
      await page.locator(".card", { hasText: "The earlier push" }).waitFor();

      // Every list load from here on takes its answer from the emulator at once (a snapshot without the
      // live push) and hands it to the page only when released: the live push lands in between.
      const held: Array<() => Promise<void>> = [];
      await page.route("**/emulator/v1/attempts*", async (route) => {
        const response = await route.fetch();
        const body = await response.body();
        held.push(() => route.fulfill({ response, body }));
      });
      // A filter change reloads the list and reopens the live stream, whose opening reloads it again.
      await page.getByLabel("Post id").fill("p-live");
      expect(await settled(() => Promise.resolve(held.length), 2)).toBe(2);
      await page.locator("#connection[data-state=live]").waitFor();

      expect(await send(emulator, "token-live-abcdef", "The live push")).toBe(200);
      await page.locator(".card", { hasText: "The live push" }).waitFor();
      // Mark the earlier push's card: the reload replaces every card, so the mark going is the reload done.
      await page.evaluate(
        `document.querySelector(".card:last-child").setAttribute("data-before-reload", "")`,
      );
      await Promise.all(held.map((fulfil) => fulfil()));
      expect(await settled(() => page.locator("[data-before-reload]").count(), 0)).toBe(0);

      expect(await page.locator(".card .title").allTextContents()).toEqual([
        "The live push",
        "The earlier push",
      ]);
      expect(await page.locator("#counts").textContent()).toBe("2 matching attempts");
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
      await emulator.close();
    }
  });
});
