// `npm run demo`: a push travelling from a comment to a device, against a running `npm start` (another
// terminal). It plays in the world scripts/demo-seed.mjs seeded, the way apps would: the `firebase` client
// SDK signs the demo users in, registers their devices through the `registerDevice` callable and writes
// comments; the comment trigger then pushes through the FCM emulator, whose message log shows what a device
// would have received. It then shows the token hygiene: a dead token marked `rejected` by the push, skipped
// by the next one, and deleted by the prune. One line per step, and a reason whenever it stops.
//
// Reads only what the server keeps to itself (`devices`, `pushDeliveries`) with the Admin SDK: no client may.
// Tokens are shown by their last 6 characters only. Exits 0 when every step did what it says, 1 otherwise.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEMO_PASSWORD,
  DEMO_POST,
  DEMO_USERS,
  HOSTS,
  PROJECT_ID,
  REGION,
  emulatorsDown,
} from "./demo-world.mjs";
import { deviceIdOf } from "./deviceId.mjs";
import { cell, tokenTail, widthOf } from "./terminalTable.mjs";

// The Admin SDK reads the Firestore emulator only when this is set before it loads.
process.env.FIRESTORE_EMULATOR_HOST = HOSTS.firestore;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** How long a comment may take to reach the FCM emulator (the first trigger run loads the function). */
const PUSH_TIMEOUT_MS = 30_000;
/** A token the FCM emulator answers 404 UNREGISTERED to: an app uninstalled long ago, say. */
const DEAD_TOKEN = "unregistered-demo-fcm-token-alice-tablet";
const { alice, bob, minji } = DEMO_USERS;

/** Stops the demo with a reason for the reader (no stack trace). */
class DemoStop extends Error {}

const say = (line) => console.log(line);
const indent = (line) => console.log(`     ${line}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- A terminal table -----------------------------------------------------------------------------------

/** Rows of strings as columns as wide as their widest cell, up to `maxWidths`. */
function printTable(header, rows, maxWidths) {
  const widths = header.map((title, i) =>
    Math.min(maxWidths[i], Math.max(widthOf(title), ...rows.map((row) => widthOf(row[i])))),
  );
  const line = (cells) =>
    cells
      .map((text, i) => cell(text, widths[i]))
      .join("  ")
      .trimEnd();
  indent(line(header));
  indent(line(widths.map((width) => "-".repeat(width))));
  rows.forEach((row) => indent(line(row)));
}

// --- The two sides: apps (client SDK) and the server's view (Admin SDK) ---------------------------------

const [{ initializeApp, deleteApp }, auth, functions, firestore] = await Promise.all([
  import("firebase/app"),
  import("firebase/auth"),
  import("firebase/functions"),
  import("firebase/firestore"),
]);
const hostPort = (hostAndPort) => {
  const [host, port] = hostAndPort.split(":");
  return { host, port: Number(port) };
};

/** One user's app: its own Firebase app, signed in with the demo password, connected to the emulators. */
async function openApp(user) {
  const app = initializeApp({ projectId: PROJECT_ID, apiKey: "fake-api-key" }, `demo-${user.uid}`);
  const appAuth = auth.getAuth(app);
  // The SDK's banner ("You are using the Auth Emulator...") is for real apps pointed at it by mistake.
  auth.connectAuthEmulator(appAuth, `http://${HOSTS.auth}`, { disableWarnings: true });
  const appFunctions = functions.getFunctions(app, REGION);
  functions.connectFunctionsEmulator(
    appFunctions,
    hostPort(HOSTS.functions).host,
    hostPort(HOSTS.functions).port,
  );
  const db = firestore.getFirestore(app);
  firestore.connectFirestoreEmulator(db, hostPort(HOSTS.firestore).host, hostPort(HOSTS.firestore).port);
  try {
    await auth.signInWithEmailAndPassword(appAuth, user.email, DEMO_PASSWORD);
  } catch (error) {
    if (["auth/invalid-credential", "auth/user-not-found", "auth/wrong-password"].includes(error?.code)) {
      throw new DemoStop(
        `${user.email} cannot sign in: the demo users are not in the Auth emulator. \`npm start\` seeds them ` +
          "when it is ready (look for 'Demo world seeded' in its output); or run `node scripts/demo-seed.mjs` now.",
      );
    }
    throw error;
  }
  return {
    app,
    user,
    async call(name, data) {
      try {
        return (await functions.httpsCallable(appFunctions, name)(data)).data;
      } catch (error) {
        if (error?.code === "functions/not-found") {
          throw new DemoStop(
            `The callable ${name} is not loaded in the Functions emulator: build the functions ` +
              "(`npm run build`) and restart `npm start`.",
          );
        }
        throw error;
      }
    },
    async comment(text) {
      const comments = firestore.collection(db, "posts", DEMO_POST.id, "comments");
      try {
        const ref = await firestore.addDoc(comments, {
          authorId: user.uid,
          text,
          createdAt: firestore.serverTimestamp(),
        });
        return ref.id;
      } catch (error) {
        if (error?.code === "permission-denied") {
          throw new DemoStop(
            `The security rules refused ${user.displayName}'s comment: is posts/${DEMO_POST.id} there? ` +
              "Run `node scripts/demo-seed.mjs` to seed the demo world again.",
          );
        }
        throw error;
      }
    },
  };
}

const { initializeApp: initializeAdminApp, deleteApp: deleteAdminApp } = await import("firebase-admin/app");
const { getFirestore: getAdminFirestore } = await import("firebase-admin/firestore");

const fcmLog = `http://${HOSTS.fcm}/emulator/v1/projects/${encodeURIComponent(PROJECT_ID)}/messages`;

/** The pushes the FCM emulator accepted for `commentId`, oldest first. */
async function pushesFor(commentId) {
  const response = await fetch(fcmLog);
  if (!response.ok) throw new DemoStop(`The FCM emulator's message log answered HTTP ${response.status}.`);
  const { messages } = await response.json();
  return messages.filter(({ message }) => message.data?.commentId === commentId);
}

/**
 * Waits until the trigger has finished with `commentId` (its `pushDeliveries` record is no longer
 * "sending"), and returns that record and the pushes that arrived for it.
 */
async function deliveryOf(adminDb, commentId) {
  const started = Date.now();
  for (;;) {
    const records = await adminDb.collection("pushDeliveries").where("commentId", "==", commentId).get();
    const record = records.docs[0]?.data();
    if (record && record.status !== "sending") {
      if (record.status !== "done") {
        throw new DemoStop(
          `The push for comment ${commentId} ended "${record.status}": ${record.error ?? "see the npm start terminal"}.`,
        );
      }
      return { record, pushes: await pushesFor(commentId), ms: Date.now() - started };
    }
    if (Date.now() - started > PUSH_TIMEOUT_MS) {
      const arrived = (await pushesFor(commentId)).length;
      throw new DemoStop(
        record
          ? `The push for comment ${commentId} was still sending after ${seconds(PUSH_TIMEOUT_MS)} ` +
              `(${arrived} arrived so far): see the npm start terminal.`
          : `No push for comment ${commentId} within ${seconds(PUSH_TIMEOUT_MS)}: the comment trigger ` +
              "(onCommentCreated) did not fire. Look for its errors in the npm start terminal; is it built " +
              "(`npm run build`) and exported from functions/src/index.ts?",
      );
    }
    await sleep(200);
  }
}

function printPushes(pushes) {
  printTable(
    ["time (UTC)", "to", "title", "body"],
    pushes.map(({ receivedAt, message }) => [
      receivedAt.slice(11, 23),
      tokenTail(message.token ?? ""),
      message.notification?.title ?? "",
      message.notification?.body ?? "",
    ]),
    [12, 7, 44, 50],
  );
}

/** Fails unless exactly `expected` tokens received a push. */
function expectPushesTo(pushes, expected, what) {
  const got = pushes.map(({ message }) => message.token).sort();
  const want = [...expected].sort();
  if (got.length !== want.length || got.some((token, i) => token !== want[i])) {
    throw new DemoStop(
      `${what}: expected pushes to ${want.map(tokenTail).join(", ")}, got ${got.map(tokenTail).join(", ") || "none"}.`,
    );
  }
}

// --- The demo -------------------------------------------------------------------------------------------

async function demo(adminDb) {
  const devices = adminDb.collection("devices");
  const deadDevice = devices.doc(deviceIdOf(DEAD_TOKEN));

  say(
    `1/7 Signing in as ${alice.displayName}, ${bob.displayName} and ${minji.displayName} (client SDK, email and password).`,
  );
  const [aliceApp, bobApp, minjiApp] = await Promise.all([alice, bob, minji].map(openApp));

  say(
    "2/7 Each app registers its FCM token with registerDevice, as it does at every start and token refresh:",
  );
  const registrations = [
    [aliceApp, alice.device, "her phone"],
    [
      aliceApp,
      { token: DEAD_TOKEN, platform: "android", locale: "en-US" },
      'old tablet: token starts with "unregistered", FCM answers 404',
    ],
    [bobApp, bob.device, "his browser"],
    [minjiApp, minji.device, "her iPhone, in Korean"],
  ];
  const rows = [];
  for (const [client, device, note] of registrations) {
    const { deviceId } = await client.call("registerDevice", { ...device, appVersion: "1.0.0" });
    rows.push([
      client.user.displayName,
      device.platform,
      device.locale,
      tokenTail(device.token),
      `devices/${deviceId.slice(0, 8)}…`,
      note,
    ]);
  }
  printTable(["user", "platform", "locale", "token", "device doc", "what"], rows, [14, 8, 6, 7, 18, 64]);

  say(
    `3/7 ${bob.displayName} comments on ${alice.displayName}'s post "${DEMO_POST.title}"; waiting for the pushes…`,
  );
  const first = await bobApp.comment("Great post! Pushes straight from the emulators.");
  const one = await deliveryOf(adminDb, first);
  indent(`${one.pushes.length} pushes arrived at the FCM emulator in ${seconds(one.ms)}:`);
  printPushes(one.pushes);
  expectPushesTo(one.pushes, [alice.device.token, minji.device.token], "The first comment");
  indent(
    `${alice.displayName} (the author) in English, ${minji.displayName} (a follower) in Korean for her ko-KR device; ` +
      `none for ${bob.displayName}, who wrote it.`,
  );

  const rejected = (await deadDevice.get()).data()?.rejected;
  if (!rejected || one.record.rejected !== 1) {
    throw new DemoStop(
      `The dead tablet token was not marked rejected (delivery counted ${one.record.rejected ?? 0} rejected).`,
    );
  }
  say(
    "4/7 FCM answered 404 UNREGISTERED for the tablet, so the trigger marked its device rejected (Admin SDK read):",
  );
  indent(
    `devices/${deadDevice.id.slice(0, 8)}…  rejected: { code: "${rejected.code}", at: ${rejected.at.toDate().toISOString()} }`,
  );

  say(
    `5/7 ${minji.displayName} replies; ${alice.displayName} and ${bob.displayName} (following since he commented) hear of it:`,
  );
  // A reply inside the first comment's window would be folded into a digest (docs/coalescing.md): wait it out.
  const [window] = (await adminDb.collection("pushWindows").doc(DEMO_POST.id).get()).data()?.windows ?? [];
  const waitMs = window ? window.closesAt + 500 - Date.now() : 0;
  if (waitMs > 0) {
    indent(
      `(waiting ${seconds(waitMs)} for the post's coalescing window to close, so the reply is pushed at once)`,
    );
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
  const second = await minjiApp.comment("저도 잘 봤어요! 알림이 한국어로 와요.");
  const two = await deliveryOf(adminDb, second);
  printPushes(two.pushes);
  expectPushesTo(two.pushes, [alice.device.token, bob.device.token], "The reply");
  const { recipients, tokens, sent, rejected: rejectedNow } = two.record;
  const stillMarked = (await deadDevice.get()).data()?.rejected;
  if (rejectedNow !== 0 || !stillMarked?.at.isEqual(rejected.at)) {
    throw new DemoStop("The reply was sent to the rejected tablet token again.");
  }
  indent(
    `Its delivery record: ${recipients} recipients, ${tokens} tokens, ${sent} sent, ${rejectedNow} rejected: ` +
      "the rejected tablet was not even tried.",
  );

  say("6/7 Running the daily prune now (npm run prune: a POST to pruneDevices-0, as Cloud Scheduler would):");
  const prune = spawnSync(process.execPath, [path.join(ROOT, "scripts/prune.mjs")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const pruneOutput = `${prune.stdout}${prune.stderr}`.trim().split("\n");
  pruneOutput.forEach(indent);
  if (prune.status !== 0) throw new DemoStop(`The prune failed (exit ${prune.status}).`);

  const [deadAfter, phoneAfter] = await Promise.all([
    deadDevice.get(),
    devices.doc(deviceIdOf(alice.device.token)).get(),
  ]);
  if (deadAfter.exists || !phoneAfter.exists) {
    throw new DemoStop(
      deadAfter.exists
        ? "The prune left the rejected tablet's device in place."
        : "The prune deleted Alice's phone.",
    );
  }
  say(`7/7 The tablet's devices/${deadDevice.id.slice(0, 8)}… is gone; ${alice.displayName}'s phone stays.`);

  await Promise.all([aliceApp, bobApp, minjiApp].map(({ app }) => deleteApp(app)));
}

// --- Run -------------------------------------------------------------------------------------------------

const down = await emulatorsDown(["auth", "firestore", "functions", "fcm"]);
if (down.length > 0) {
  console.error(
    `The demo needs the running backend, and nothing listens for the ${down.join(", the ")}.\n` +
      "Start it with `npm start` in another terminal, wait for 'Try it: npm run demo', then run `npm run demo` again.",
  );
  process.exit(1);
}

say(
  `Push demo on the emulators of \`npm start\` (project ${PROJECT_ID}); tokens show their last 6 characters.`,
);
const adminApp = initializeAdminApp({ projectId: PROJECT_ID }, "demo-server-view");
let status = 0;
try {
  await demo(getAdminFirestore(adminApp));
  say(
    "Done: pushes delivered, and a dead token marked, skipped and pruned. `npm run fcm:messages` lists every push.",
  );
} catch (error) {
  status = 1;
  console.error(
    error instanceof DemoStop
      ? `\nThe demo stopped: ${error.message}`
      : `\nThe demo stopped on an unexpected error: ${error?.stack ?? error}`,
  );
} finally {
  await deleteAdminApp(adminApp);
}
process.exit(status);
