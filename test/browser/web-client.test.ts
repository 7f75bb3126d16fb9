/**
 * clients/web's rules that the demo app cannot show, in a real browser, on the production path (no FCM
 * emulator: the page would ask Google's push service): the permission is asked only by `enable()`, never
 * at start-up by `refresh()`; and sign-out's `disable()` neither asks for a token nor blocks when the
 * backend cannot be reached. Needs no emulator: the page's backend is a closed port.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import { launchChromium, newPage, type TestBrowser } from "./support/chromium";

const ROOT = path.resolve(__dirname, "../..");

/** The page's script: WebPush against a backend that is not there, with calls counted. */
const ENTRY = `
import { initializeApp } from "firebase/app";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { WebPush } from "./clients/web/pushRegistration";

const calls = { requestPermission: 0 };
const original = Notification.requestPermission.bind(Notification);
Notification.requestPermission = (...args) => {
  calls.requestPermission += 1;
  return original(...args);
};
const app = initializeApp({ projectId: "demo-push", apiKey: "fake-api-key", appId: "1:1:web:1", messagingSenderId: "1" });
const functions = getFunctions(app, "us-central1");
connectFunctionsEmulator(functions, "127.0.0.1", Number(new URLSearchParams(location.search).get("deadPort")));
const push = new WebPush({ app, functions, vapidKey: "BTestPublicKey", signOutTimeoutMs: 1500 });
window.calls = calls;
window.push = push;
window.ready = push.refresh().then((token) => ({ token }), (error) => ({ error: String(error) }));
document.getElementById("enable").addEventListener("click", () => {
  window.enabled = push.enable().then((result) => result.status, (error) => "error: " + String(error));
});
`;

let browser: TestBrowser;
let server: http.Server;
let pageUrl: string;
let deadPort: number;

beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0]?.text ?? "";
  const html = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><button id="enable">Turn on</button><script type="module" src="/app.js"></script>`;
  server = http.createServer((request, response) => {
    const isScript = request.url === "/app.js";
    response.writeHead(200, { "Content-Type": isScript ? "text/javascript" : "text/html" });
    response.end(isScript ? script : html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // A port that was free a moment ago and is closed now: calls to it are refused.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe("the Web client", () => {
  it("asks for the permission only from enable(), never at start-up", async () => {
    const { page, context } = await newPage(browser.browser);
    try {
      await page.goto(`${pageUrl}?deadPort=${deadPort}`);
      expect(await page.evaluate("window.ready")).toEqual({ token: null });
      expect(await page.evaluate("window.calls.requestPermission")).toBe(0);

      await page.getByRole("button", { name: "Turn on" }).click();
      // Headless chromium answers the prompt itself; without a grant, pushes stay off.
      expect(await page.evaluate("window.enabled")).toBe("denied");
      expect(await page.evaluate("window.calls.requestPermission")).toBe(1);
    } finally {
      await context.close();
    }
  });

  it("signs out without asking for a token and without waiting on an unreachable backend", async () => {
    const { page, context } = await newPage(browser.browser);
    try {
      await page.goto(`${pageUrl}?deadPort=${deadPort}`);
      await page.evaluate("window.ready");
      await page.evaluate(
        `localStorage.setItem("firebase-push.registeredToken", "a-token-registered-earlier")`,
      );

      // The unregister call cannot reach the backend: disable() still settles, with false, and forgets the token.
      expect(await page.evaluate("window.push.disable()")).toBe(false);
      expect(await page.evaluate(`localStorage.getItem("firebase-push.registeredToken")`)).toBeNull();
      expect(await page.evaluate("window.calls.requestPermission")).toBe(0);
      // Nothing left to unregister: a second sign-out is a no-op.
      expect(await page.evaluate("window.push.disable()")).toBe(false);
    } finally {
      await context.close();
    }
  });
});
