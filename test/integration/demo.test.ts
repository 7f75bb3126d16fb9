// The newcomer's path, end to end: the demo seed that `npm start` runs, then `npm run demo`, as processes of
// their own against the emulators of this test run, exactly as a developer runs them in a second terminal.
//
// The demo's prune deletes every stale or rejected device in the emulator, not only the demo's: tests run
// one file at a time (--runInBand) and each arranges its own devices, so no other test is affected.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { deleteApp, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { deviceDoc } from "../../functions/src/devices/deviceDoc";
import { PROJECT_ID, adminDb, closeEmulatorConnections } from "../support/emulators";

const ROOT = path.resolve(__dirname, "../..");
const DEMO_UIDS = ["demo-alice", "demo-bob", "demo-minji"];
const DEMO_POST = "demo-welcome";

const authApp = initializeApp({ projectId: PROJECT_ID }, `demo-test-auth-${randomUUID()}`);
const adminAuth = () => getAuth(authApp);

type Run = { status: number | null; stdout: string; stderr: string };

/** Runs `node scripts/<script>` to its end with the test's environment (the harness's emulator hosts). */
function runScript(script: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", script)], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Everything the seed and the demo wrote, so that no other test sees the demo world. */
async function clearDemoWorld(): Promise<void> {
  const db = adminDb();
  const devices = await db.collection("devices").where("uid", "in", DEMO_UIDS).get();
  const deliveries = await db.collection("pushDeliveries").where("postId", "==", DEMO_POST).get();
  await Promise.all([...devices.docs, ...deliveries.docs].map((doc) => doc.ref.delete()));
  await db.recursiveDelete(db.collection("posts").doc(DEMO_POST));
  await Promise.all(DEMO_UIDS.map((uid) => db.collection("users").doc(uid).delete()));
  await Promise.all(DEMO_UIDS.map((uid) => db.recursiveDelete(db.collection("notifications").doc(uid))));
  await adminAuth().deleteUsers(DEMO_UIDS);
}

afterAll(async () => {
  await clearDemoWorld();
  await Promise.all([closeEmulatorConnections(), deleteApp(authApp)]);
});

describe("the demo seed (run by npm start)", () => {
  it("seeds three users, a device each and Alice's post, and resets them when run again", async () => {
    const first = await runScript("demo-seed.mjs");
    expect(first).toMatchObject({ status: 0, stderr: "" });
    // What a played-with demo world may hold: a device of Bob's beyond his seeded one, a muted follower.
    const db = adminDb();
    const extraDevice = await db.collection("devices").add({ uid: "demo-bob", token: "bob-tablet" });
    const follower = db.collection("posts").doc(DEMO_POST).collection("subscribers").doc("demo-bob");
    await follower.set({ muted: true });
    // Bob turned comments off and set quiet hours (in the demo app); the doc also holds his unread count.
    const bobNotifications = db.collection("notifications").doc("demo-bob");
    await bobNotifications.set({
      unread: 3,
      preferences: {
        kinds: { comments: false, follows: true, announcements: true },
        quietHours: { start: "22:00", end: "07:00", timeZone: "Europe/London" },
      },
    });

    const again = await runScript("demo-seed.mjs");
    expect(again).toMatchObject({ status: 0, stderr: "" });
    expect(again.stdout).toMatch(/^Demo world seeded: users Alice Martin .*김민지/);
    expect((await extraDevice.get()).exists).toBe(false);
    expect((await follower.get()).exists).toBe(false);

    const users = await Promise.all(DEMO_UIDS.map((uid) => adminAuth().getUser(uid)));
    expect(users.map((user) => user.displayName)).toEqual(["Alice Martin", "Bob Jones", "김민지"]);
    // users/{uid} holds the display name only (firestore.rules); preferences are reset to a new user's.
    const profiles = await Promise.all(DEMO_UIDS.map((uid) => db.collection("users").doc(uid).get()));
    expect(profiles.map((profile) => Object.keys(profile.data() ?? {}))).toEqual([
      ["displayName"],
      ["displayName"],
      ["displayName"],
    ]);
    const notifications = await Promise.all(
      DEMO_UIDS.map((uid) => db.collection("notifications").doc(uid).get()),
    );
    for (const doc of notifications) {
      expect(doc.get("preferences")).toEqual({
        kinds: { comments: true, follows: true, announcements: true },
        quietHours: null,
      });
    }
    expect((await bobNotifications.get()).get("unread")).toBe(3);
    const devices = (await db.collection("devices").where("uid", "in", DEMO_UIDS).get()).docs;
    // The same shape registerDevice writes: the fan-out's store reads these with this schema.
    const parsed = devices.map((doc) => deviceDoc.parse(doc.data()));
    expect(parsed.map((device) => device.locale).sort()).toEqual(["en-GB", "en-US", "ko-KR"]);
    const post = await db.collection("posts").doc(DEMO_POST).get();
    expect(post.data()).toMatchObject({ authorId: "demo-alice", title: "Welcome to the push demo" });
    const minji = await post.ref.collection("subscribers").doc("demo-minji").get();
    expect(minji.data()).toMatchObject({ muted: false });
  });
});

describe("npm run demo", () => {
  it("shows pushes delivered, then a dead token marked, skipped and pruned, and exits 0", async () => {
    expect((await runScript("demo-seed.mjs")).status).toBe(0);

    const demo = await runScript("demo.mjs");

    expect(demo.stderr).toBe("");
    expect(demo.status).toBe(0);
    const out = demo.stdout;
    expect(out).toContain("1/7 Signing in as Alice Martin, Bob Jones and 김민지");
    // The first comment's pushes: Alice in English, 김민지 in Korean, by token tail only.
    expect(out).toMatch(/2 pushes arrived at the FCM emulator/);
    expect(out).toMatch(/…-pixel\s+Bob Jones commented on your post/);
    expect(out).toMatch(/…iphone\s+팔로우 중인 글에 Bob Jones님의 새 댓글/);
    expect(out).toContain('rejected: { code: "messaging/registration-token-not-registered"');
    // The reply reaches Alice and Bob, and the rejected tablet is not tried.
    expect(out).toMatch(/…chrome\s+김민지 commented on a post you follow/);
    expect(out).toContain("2 tokens, 2 sent, 0 rejected");
    expect(out).toMatch(/pruneDevices ran in .*removed\)/);
    expect(out).toContain("7/7 The tablet's devices/");
    expect(out).toContain("Done: pushes delivered");
    expect(out).not.toContain("unregistered-demo"); // no whole token is ever printed
  });

  it("says how to start the backend when it is not running, and exits 1", async () => {
    // Nothing listens on the discard port: the demo must find the FCM emulator missing.
    const demo = await runScript("demo.mjs", { ...process.env, FCM_EMULATOR_HOST: "127.0.0.1:9" });

    expect(demo.status).toBe(1);
    expect(demo.stderr).toContain("nothing listens for the FCM emulator (127.0.0.1:9)");
    expect(demo.stderr).toContain("Start it with `npm start` in another terminal");
  });
});
