// What the comment-push tests share: the FCM emulator's message log and fault switch (over HTTP, as an
// operator would use them), the client-side moves of a user (profile, device, post, subscription,
// comment), and reading the delivery records with the Admin SDK.
import { randomUUID } from "node:crypto";
import { addDoc, collection, doc, serverTimestamp, setDoc } from "firebase/firestore";
import type { DocumentData } from "firebase-admin/firestore";
import { adminDb, eventually, PROJECT_ID, signedInClient, uniqueToken, type Client } from "./emulators";
import { DeliveryLeasedError } from "../../functions/src/push/delivery";

function fcmEmulatorUrl(): string {
  const host = process.env.FCM_EMULATOR_HOST;
  if (!host) throw new Error("FCM_EMULATOR_HOST is not set: run inside the emulators (npm test)");
  return `http://${host}`;
}

export type PushMessage = {
  token: string;
  notification: { title: string; body: string };
  data: Record<string, string>;
  android?: { notification?: { channel_id?: string; tag?: string } };
  apns?: { payload?: { aps?: Record<string, unknown> } };
};

/** The messages the FCM emulator accepted for these tokens (other tests share the emulator). */
export async function messagesTo(tokens: Iterable<string>): Promise<PushMessage[]> {
  const wanted = new Set(tokens);
  const response = await fetch(`${fcmEmulatorUrl()}/emulator/v1/projects/${PROJECT_ID}/messages`);
  if (!response.ok) throw new Error(`FCM emulator log: HTTP ${response.status}`);
  const { messages } = (await response.json()) as { messages: { message: PushMessage }[] };
  return messages.map((entry) => entry.message).filter((message) => wanted.has(message.token));
}

/** How many messages each token received. */
export async function countsByToken(tokens: readonly string[]): Promise<Record<string, number>> {
  const counts = Object.fromEntries(tokens.map((token) => [token, 0]));
  for (const message of await messagesTo(tokens)) counts[message.token] = (counts[message.token] ?? 0) + 1;
  return counts;
}

export type Fault = { status: 401 | 429 | 500 | 503; count: number; retryAfterSeconds?: number };

/** Makes the next `count` send requests fail with `status`. */
export async function armFault(fault: Fault): Promise<void> {
  const response = await fetch(`${fcmEmulatorUrl()}/emulator/v1/faults`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fault),
  });
  if (!response.ok) throw new Error(`arming fault: HTTP ${response.status} ${await response.text()}`);
}

export async function clearFaults(): Promise<void> {
  await fetch(`${fcmEmulatorUrl()}/emulator/v1/faults`, { method: "DELETE" });
}

// --- What a user does, through the client SDK ---------------------------------------------------------

/** The user's name (their `users` doc) and, when given, switches of their preferences (the callable). */
export async function setProfile(
  client: Client,
  displayName: string,
  kinds?: Partial<Record<"comments" | "follows" | "announcements", boolean>>,
): Promise<void> {
  await setDoc(doc(client.db, "users", client.uid), { displayName });
  if (kinds) await setPreferences(client, { kinds });
}

export type Preferences = {
  kinds: { comments: boolean; follows: boolean; announcements: boolean };
  quietHours: { start: string; end: string; timeZone: string } | null;
};

/** `setNotificationPreferences` as a client calls it; the whole stored preferences. */
export async function setPreferences(client: Client, change: unknown): Promise<Preferences> {
  const { preferences } = await client.call<unknown, { preferences: Preferences }>(
    "setNotificationPreferences",
    change,
  );
  return preferences;
}

export type Device = { token: string; deviceId: string; uid: string };

export async function registerDevice(
  client: Client,
  options: { prefix?: string; platform?: "android" | "ios" | "web"; locale?: string } = {},
): Promise<Device> {
  const token = uniqueToken(options.prefix);
  const { deviceId } = await client.call<unknown, { deviceId: string }>("registerDevice", {
    token,
    platform: options.platform ?? "android",
    ...(options.locale ? { locale: options.locale } : {}),
  });
  return { token, deviceId, uid: client.uid };
}

export async function writePost(client: Client, title = "A post"): Promise<string> {
  const postId = `post-${randomUUID()}`;
  await setDoc(doc(client.db, "posts", postId), {
    authorId: client.uid,
    title,
    createdAt: serverTimestamp(),
  });
  return postId;
}

export async function subscribe(client: Client, postId: string, muted: boolean): Promise<void> {
  await setDoc(doc(client.db, "posts", postId, "subscribers", client.uid), {
    muted,
    since: serverTimestamp(),
  });
}

export async function comment(client: Client, postId: string, text: string): Promise<string> {
  const ref = await addDoc(collection(client.db, "posts", postId, "comments"), {
    authorId: client.uid,
    text,
    createdAt: serverTimestamp(),
  });
  return ref.id;
}

/** Waits until the post's newest coalescing window has closed (pushWindows/{postId}). */
export async function waitOutWindowOf(postId: string): Promise<void> {
  const windows = (await adminDb().collection("pushWindows").doc(postId).get()).get("windows") as
    { closesAt: number }[] | undefined;
  const waitMs = (windows?.[0]?.closesAt ?? 0) + 500 - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
}

/** What a test made, for `cleanUp`. */
export type Made = { devices: Device[]; uids: string[]; postIds: string[]; commentIds: string[] };

/** `count` signed-in users, remembered in `made`. */
export async function usersIn(made: Made, count: number): Promise<Client[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => signedInClient()));
  made.uids.push(...clients.map((client) => client.uid));
  return clients;
}

/** A device registered through the callable, remembered in `made`. */
export async function deviceIn(
  made: Made,
  client: Client,
  options: Parameters<typeof registerDevice>[1] = {},
): Promise<Device> {
  const registered = await registerDevice(client, options);
  made.devices.push(registered);
  return registered;
}

/** A message as the FCM emulator logged it: snake_case on the wire (docs/api.md). */
export type WireMessage = {
  token: string;
  notification?: { title: string; body?: string };
  data: Record<string, string>;
  android?: { notification?: Record<string, unknown> };
  apns?: { payload?: { aps?: Record<string, unknown> } };
  webpush?: { notification?: Record<string, unknown> };
};

/** What these devices received, as the FCM emulator logged it. */
export async function wireMessagesTo(devices: readonly Device[]): Promise<WireMessage[]> {
  return messagesTo(devices.map((d) => d.token));
}

// --- What the server recorded ---------------------------------------------------------------------------

export type Delivery = DocumentData & { id: string };

/** The finished `pushDeliveries` docs of a comment, waiting until there is one and it is not `sending`. */
export async function finishedDeliveriesOf(commentId: string, timeoutMs = 30_000): Promise<Delivery[]> {
  const read = async () =>
    (await adminDb().collection("pushDeliveries").where("commentId", "==", commentId).get()).docs.map(
      (snapshot): Delivery => ({ id: snapshot.id, ...snapshot.data() }),
    );
  const deliveries = await eventually(
    read,
    (found) => found.length > 0 && found.every((delivery) => delivery.status !== "sending"),
    timeoutMs,
  );
  if (deliveries.length === 0) throw new Error(`no pushDeliveries doc for comment ${commentId}`);
  return deliveries;
}

export async function deviceData(deviceId: string): Promise<DocumentData | undefined> {
  return (await adminDb().collection("devices").doc(deviceId).get()).data();
}

/** Deletes what a test made: devices, user docs, posts (with comments and subscribers), deliveries. */
export async function cleanUp(made: {
  devices: Device[];
  uids: string[];
  postIds: string[];
  commentIds: string[];
}): Promise<void> {
  const db = adminDb();
  const deliveries = await Promise.all(
    made.commentIds.map((commentId) =>
      db.collection("pushDeliveries").where("commentId", "==", commentId).get(),
    ),
  );
  await Promise.all([
    ...made.devices.map((device) => db.collection("devices").doc(device.deviceId).delete()),
    ...made.uids.map((uid) => db.collection("users").doc(uid).delete()),
    ...made.uids.map((uid) => db.recursiveDelete(db.collection("notifications").doc(uid))),
    ...made.postIds.map((postId) => db.recursiveDelete(db.collection("posts").doc(postId))),
    ...deliveries.flatMap((query) => query.docs.map((snapshot) => snapshot.ref.delete())),
  ]);
  made.devices.length = 0;
  made.uids.length = 0;
  made.postIds.length = 0;
  made.commentIds.length = 0;
}

/**
 * The kind of a run's outcome, or "retry-later" when it found the record under another run's lease with
 * nothing sent yet and threw so that the platform retries it (docs/delivery.md, "Leases").
 */
export function outcomeKind(outcome: Promise<{ kind: string }>): Promise<string> {
  return outcome.then(
    (o) => o.kind,
    (error: unknown) => {
      if (error instanceof DeliveryLeasedError) return "retry-later";
      throw error;
    },
  );
}
