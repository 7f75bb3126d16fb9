// The scheduled prune against the Firestore emulator: through the Functions emulator's URL for the
// schedule (as Cloud Scheduler would call it), and in-process through the exported handler where a test
// needs to fix the clock or act between the prune's read and its delete.
//
// Other test files share the emulator and run before or after this one (--runInBand): a prune run here
// may delete their stale or rejected devices too, so every assertion is about this file's own documents.
import { randomUUID } from "node:crypto";
import { Timestamp, type DocumentReference } from "firebase-admin/firestore";
import type { ScheduledEvent } from "firebase-functions/v2/scheduler";
import { DevicePruneStore } from "../../functions/src/devices/devicePruneStore";
import { DAY_MS } from "../../functions/src/prune/cutoff";
import { handlePruneDevices } from "../../functions/src/functions/pruneDevices";
import { adminDb, closeEmulatorConnections, signedInClient, uniqueToken } from "../support/emulators";

const PRUNE_URL = "http://127.0.0.1:5001/demo-push/us-central1/pruneDevices-0";
const MINUTE_MS = 60_000;

const devices = () => adminDb().collection("devices");
const event = (): ScheduledEvent => ({ scheduleTime: new Date().toISOString(), jobName: "prune-test" });

/** Every document this file wrote, deleted after each test whatever became of it. */
const created: DocumentReference[] = [];

type Seed = { lastSeenMillis: number; rejectedMillis?: number; uid?: string };

/** A device as registerDevice and the push would leave it, under an id of this file. */
async function seedDevice(name: string, seed: Seed): Promise<string> {
  const id = `prune-${name}-${randomUUID()}`;
  const ref = devices().doc(id);
  created.push(ref);
  await ref.set({
    uid: seed.uid ?? `prune-user-${randomUUID()}`,
    token: uniqueToken("prune"),
    platform: "android",
    locale: null,
    appVersion: null,
    createdAt: Timestamp.fromMillis(seed.lastSeenMillis),
    lastSeenAt: Timestamp.fromMillis(seed.lastSeenMillis),
    ...(seed.rejectedMillis === undefined
      ? {}
      : {
          rejected: {
            code: "messaging/registration-token-not-registered",
            at: Timestamp.fromMillis(seed.rejectedMillis),
          },
        }),
  });
  return id;
}

/** Documents outside `devices` that look stale and rejected: the prune must not touch them. */
async function seedLookalikes(oldMillis: number): Promise<DocumentReference[]> {
  const uid = `prune-user-${randomUUID()}`;
  const stale = Timestamp.fromMillis(oldMillis);
  const lookalike = { lastSeenAt: stale, rejected: { code: "x", at: stale }, displayName: "Old Timer" };
  const refs = [
    adminDb().collection("users").doc(uid),
    adminDb().collection("users").doc(uid).collection("devices").doc("old-phone"),
    adminDb().collection("pushDeliveries").doc(`prune-${randomUUID()}`),
  ];
  created.push(...refs);
  await Promise.all(refs.map((ref) => ref.set(lookalike)));
  return refs;
}

async function existing(ids: string[]): Promise<string[]> {
  const snapshots = await adminDb().getAll(...ids.map((id) => devices().doc(id)));
  return snapshots.filter((snapshot) => snapshot.exists).map((snapshot) => snapshot.id);
}

async function deleteInBatches(refs: DocumentReference[]): Promise<void> {
  for (let start = 0; start < refs.length; start += 500) {
    const batch = adminDb().batch();
    for (const ref of refs.slice(start, start + 500)) batch.delete(ref);
    await batch.commit();
  }
}

const PARAMS = ["TOKEN_STALE_DAYS", "PRUNE_MAX_WRITES_PER_SECOND"] as const;
const savedParams = PARAMS.map((name) => [name, process.env[name]] as const);
beforeEach(() => {
  // What the Functions runtime provides from the params (their defaults), for the in-process runs.
  process.env.TOKEN_STALE_DAYS = "30";
  process.env.PRUNE_MAX_WRITES_PER_SECOND = "500";
});
afterEach(async () => {
  for (const [name, value] of savedParams) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await deleteInBatches(created.splice(0));
});
afterAll(closeEmulatorConnections);

describe("pruneDevices through the Functions emulator (the scheduled function's URL)", () => {
  it("deletes stale and rejected devices, keeps fresh ones, and touches no other collection", async () => {
    const now = Date.now();
    const kept = await Promise.all([
      seedDevice("fresh", { lastSeenMillis: now - MINUTE_MS }),
      seedDevice("29d", { lastSeenMillis: now - 29 * DAY_MS }),
      seedDevice("30d-less-a-minute", { lastSeenMillis: now - 30 * DAY_MS + 10 * MINUTE_MS }),
    ]);
    const gone = await Promise.all([
      seedDevice("30d-and-a-minute", { lastSeenMillis: now - 30 * DAY_MS - MINUTE_MS }),
      seedDevice("31d", { lastSeenMillis: now - 31 * DAY_MS }),
      seedDevice("400d", { lastSeenMillis: now - 400 * DAY_MS }),
      seedDevice("rejected-fresh", { lastSeenMillis: now - MINUTE_MS, rejectedMillis: now - MINUTE_MS }),
      seedDevice("rejected-old", { lastSeenMillis: now - 90 * DAY_MS, rejectedMillis: now - 60 * DAY_MS }),
    ]);
    const lookalikes = await seedLookalikes(now - 400 * DAY_MS);

    const response = await fetch(PRUNE_URL, { method: "POST" });
    expect(response.status).toBe(200);

    expect((await existing([...kept, ...gone])).sort()).toEqual([...kept].sort());
    const others = await adminDb().getAll(...lookalikes);
    expect(others.map((snapshot) => snapshot.exists)).toEqual([true, true, true]);
  });

  it("is harmless to run again", async () => {
    const now = Date.now();
    const fresh = await seedDevice("fresh", { lastSeenMillis: now - MINUTE_MS });
    const stale = await seedDevice("stale", { lastSeenMillis: now - 45 * DAY_MS });

    expect((await fetch(PRUNE_URL, { method: "POST" })).status).toBe(200);
    expect((await fetch(PRUNE_URL, { method: "POST" })).status).toBe(200);
    expect(await existing([fresh, stale])).toEqual([fresh]);
  });
});

describe("pruneDevices around the cutoff (handler in-process, clock fixed)", () => {
  const NOW = Date.UTC(2026, 10, 23, 3, 0, 0);
  const run = () => handlePruneDevices(event(), { now: () => NOW, store: new DevicePruneStore(adminDb()) });

  it("deletes devices seen more than TOKEN_STALE_DAYS ago and keeps one seen exactly that long ago", async () => {
    const seen29 = await seedDevice("29d", { lastSeenMillis: NOW - 29 * DAY_MS });
    const seen30 = await seedDevice("30d-exactly", { lastSeenMillis: NOW - 30 * DAY_MS });
    const seen30plus1ms = await seedDevice("30d-and-1ms", { lastSeenMillis: NOW - 30 * DAY_MS - 1 });
    const seen31 = await seedDevice("31d", { lastSeenMillis: NOW - 31 * DAY_MS });

    const summary = await run();

    expect((await existing([seen29, seen30, seen30plus1ms, seen31])).sort()).toEqual([seen29, seen30].sort());
    expect(summary.deleted.stale).toBeGreaterThanOrEqual(2);
    expect(summary.failed).toBe(0);
  });

  it("follows TOKEN_STALE_DAYS", async () => {
    process.env.TOKEN_STALE_DAYS = "7";
    const seen6 = await seedDevice("6d", { lastSeenMillis: NOW - 6 * DAY_MS });
    const seen8 = await seedDevice("8d", { lastSeenMillis: NOW - 8 * DAY_MS });
    await run();
    expect(await existing([seen6, seen8])).toEqual([seen6]);
  });

  it("deletes rejected devices of any age, counted as rejected, and leaves fresh ones", async () => {
    const fresh = await seedDevice("fresh", { lastSeenMillis: NOW - MINUTE_MS });
    const rejectedNow = await seedDevice("rejected-now", { lastSeenMillis: NOW, rejectedMillis: NOW });
    const rejectedLastYear = await seedDevice("rejected-old", {
      lastSeenMillis: NOW - 400 * DAY_MS,
      rejectedMillis: NOW - 365 * DAY_MS,
    });

    const summary = await run();

    expect(await existing([fresh, rejectedNow, rejectedLastYear])).toEqual([fresh]);
    expect(summary.deleted.rejected).toBeGreaterThanOrEqual(2);
  });

  it("refuses to run, loudly, with TOKEN_STALE_DAYS out of range, deleting nothing", async () => {
    const stale = await seedDevice("stale", { lastSeenMillis: NOW - 100 * DAY_MS });
    for (const days of ["0", "366"]) {
      process.env.TOKEN_STALE_DAYS = days;
      await expect(run()).rejects.toThrow(/TOKEN_STALE_DAYS must be at (least 1|most 365)/);
    }
    expect(await existing([stale])).toEqual([stale]);
  });
});

describe("pruneDevices racing a re-registration", () => {
  it("keeps devices re-registered after the prune read them, counting them skipped", async () => {
    const client = await signedInClient();
    const register = (token: string) =>
      client.call<unknown, { deviceId: string }>("registerDevice", { token, platform: "ios" });
    const tokens = [uniqueToken("prune-race-stale"), uniqueToken("prune-race-rejected")];
    const [staleId = "", rejectedId = ""] = await Promise.all(
      tokens.map(async (token) => (await register(token)).deviceId),
    );
    created.push(devices().doc(staleId), devices().doc(rejectedId));
    // The app has not been opened for 45 days; FCM rejected the second token meanwhile.
    const old = Timestamp.fromMillis(Date.now() - 45 * DAY_MS);
    await devices().doc(staleId).update({ lastSeenAt: old });
    await devices()
      .doc(rejectedId)
      .update({ lastSeenAt: old, rejected: { code: "x", at: old } });
    const bystander = await seedDevice("bystander", { lastSeenMillis: Date.now() - 45 * DAY_MS });

    const reRegistered = new Set<string>();
    const summary = await handlePruneDevices(event(), {
      store: new DevicePruneStore(adminDb()),
      // Between the read and the delete, the user opens the app: registerDevice, through the emulator.
      onPageRead: async (_reason, ids) => {
        for (const [index, id] of [staleId, rejectedId].entries()) {
          if (!reRegistered.has(id) && ids.includes(id)) {
            reRegistered.add(id);
            await register(tokens[index] ?? "");
          }
        }
      },
    });

    expect([...reRegistered].sort()).toEqual([staleId, rejectedId].sort());
    expect(summary.skipped).toBeGreaterThanOrEqual(2);
    expect((await existing([staleId, rejectedId, bystander])).sort()).toEqual([staleId, rejectedId].sort());
    for (const id of [staleId, rejectedId]) {
      const device = (await devices().doc(id).get()).data();
      expect((device?.lastSeenAt as Timestamp).toMillis()).toBeGreaterThan(Date.now() - MINUTE_MS);
      expect(device?.rejected).toBeUndefined();
    }

    // The next run sees fresh devices and leaves them alone.
    await handlePruneDevices(event(), { store: new DevicePruneStore(adminDb()) });
    expect((await existing([staleId, rejectedId])).sort()).toEqual([staleId, rejectedId].sort());
  });
});

describe("pruneDevices at scale", () => {
  const STALE = 20_000;
  const FRESH = 20_000;

  it("deletes 20,000 stale devices among 40,000 in one run and keeps all 20,000 fresh ones", async () => {
    const now = Date.now();
    const staleUid = `prune-scale-stale-${randomUUID()}`;
    const freshUid = `prune-scale-fresh-${randomUUID()}`;
    const refs: DocumentReference[] = [];
    for (let start = 0; start < STALE + FRESH; start += 500) {
      const batch = adminDb().batch();
      for (let i = start; i < start + 500; i++) {
        const stale = i < STALE;
        const ref = devices().doc(`prune-scale-${i}-${randomUUID()}`);
        refs.push(ref);
        const seen = Timestamp.fromMillis(stale ? now - 31 * DAY_MS - i : now - (i % 29) * DAY_MS);
        batch.set(ref, {
          uid: stale ? staleUid : freshUid,
          token: `prune-scale-token-${i}`,
          platform: "web",
          locale: null,
          appVersion: null,
          createdAt: seen,
          lastSeenAt: seen,
        });
      }
      await batch.commit();
    }
    created.push(...refs);

    const summary = await handlePruneDevices(event(), { store: new DevicePruneStore(adminDb()) });

    const count = async (uid: string) => (await devices().where("uid", "==", uid).count().get()).data().count;
    expect(await count(staleUid)).toBe(0);
    expect(await count(freshUid)).toBe(FRESH);
    expect(summary.deleted.stale).toBeGreaterThanOrEqual(STALE);
    expect(summary).toMatchObject({ failed: 0, truncated: false });
  }, 300_000);
});
