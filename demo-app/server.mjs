// The demo web app of `npm start`: a small page on http://127.0.0.1:5173 where the Web client
// (clients/web) can be tried against the emulators without writing code. Sign in as a demo user, turn on
// notifications for this browser, open the demo post, comment, and watch this browser's pushes arrive.
//
//   node demo-app/server.mjs [--port N]      on its own, beside a running `npm start`
//   import { startDemoApp } from "./demo-app/server.mjs"   what emulators/run.mjs does in start mode
//
// The page is bundled with esbuild once, in memory, when the server starts (demo-app/src/main.ts and the
// service worker clients/web/firebase-messaging-sw.ts); the demo world (users, password, post) comes from
// scripts/demo-world.mjs, the same that scripts/demo-seed.mjs seeds. Nothing is fetched from outside 127.0.0.1.
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { DEMO_PASSWORD, DEMO_POST, DEMO_USERS, HOSTS, PROJECT_ID } from "../scripts/demo-world.mjs";

export const DEMO_APP_HOST = "127.0.0.1";
export const DEMO_APP_PORT = 5173;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");

const SECURITY = [
  "default-src 'self'",
  "connect-src 'self' http://127.0.0.1:*",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/** What the page needs to know of the emulators and the demo world, as the browser reaches them. */
function demoConfig() {
  return {
    firebase: { projectId: PROJECT_ID, apiKey: "fake-api-key", authDomain: `${PROJECT_ID}.firebaseapp.com` },
    emulators: {
      auth: `http://${HOSTS.auth}`,
      firestore: HOSTS.firestore,
      functions: HOSTS.functions,
      fcm: `http://${HOSTS.fcm}`,
    },
    users: Object.values(DEMO_USERS).map(({ uid, email, displayName }) => ({ uid, email, displayName })),
    password: DEMO_PASSWORD,
    post: { id: DEMO_POST.id, title: DEMO_POST.title },
  };
}

async function bundle(entry) {
  const result = await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
    legalComments: "none",
  });
  return result.outputFiles[0].text;
}

/** Starts the demo app's server; port 0 picks a free one. */
export async function startDemoApp({ host = DEMO_APP_HOST, port = DEMO_APP_PORT } = {}) {
  const [app, serviceWorker, html, css] = await Promise.all([
    bundle("demo-app/src/main.ts"),
    bundle("clients/web/firebase-messaging-sw.ts"),
    readFile(path.join(HERE, "index.html"), "utf8"),
    readFile(path.join(HERE, "app.css"), "utf8"),
  ]);
  const files = {
    "/": ["text/html; charset=utf-8", html],
    "/index.html": ["text/html; charset=utf-8", html],
    "/app.js": ["text/javascript; charset=utf-8", app],
    "/app.css": ["text/css; charset=utf-8", css],
    "/firebase-messaging-sw.js": ["text/javascript; charset=utf-8", serviceWorker],
    "/demo-config.json": ["application/json; charset=utf-8", JSON.stringify(demoConfig())],
  };
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://demo").pathname;
    const file = files[pathname];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (!file) {
      response
        .writeHead(404, { "Content-Type": "text/plain; charset=utf-8" })
        .end(`Not found: ${pathname}\n`);
      return;
    }
    const [type, body] = file;
    response.writeHead(200, {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "Content-Security-Policy": SECURITY,
      "Cache-Control": "no-store",
    });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${server.address().port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string" } } });
  const demo = await startDemoApp({ port: values.port ? Number(values.port) : DEMO_APP_PORT });
  console.log(`Demo web app on ${demo.url} (Ctrl+C stops it)`);
}
