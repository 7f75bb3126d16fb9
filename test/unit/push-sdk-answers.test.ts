/**
 * The classifier and the composed message against the real firebase-admin 13 client: a stand-in for the
 * FCM v1 send endpoint runs in this process and answers as FCM does; firebase-admin parses the answers
 * (and retries what it retries itself) exactly as in production. Pins the `code`/`message` pairs
 * `classifyFcmError` relies on, and which answers the SDK retries on its own.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { deleteApp, getApps } from "firebase-admin/app";
import type { Messaging } from "firebase-admin/messaging";
import { emulatorMessaging } from "../../functions/src/shared/messaging";
import { classifyFcmError } from "../../functions/src/push/domain/classify";
import { collapseKeysOf, composeCommentPush } from "../../functions/src/push/kinds/comment/compose";
import { deliverMessages } from "../../functions/src/push/domain/deliver";

const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const fcmError = (httpStatus: number, status: string, message: string, errorCode?: string) => ({
  httpStatus,
  body: {
    error: {
      code: httpStatus,
      message,
      status,
      ...(errorCode ? { details: [{ "@type": FCM_ERROR, errorCode }] } : {}),
    },
  },
});

/** FCM's answer by token prefix. */
const answers: Record<string, ReturnType<typeof fcmError>> = {
  unregistered: fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"),
  invalid: fcmError(
    400,
    "INVALID_ARGUMENT",
    "The registration token is not a valid FCM registration token",
    "INVALID_ARGUMENT",
  ),
  payload: fcmError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "INVALID_ARGUMENT"),
  mismatch: fcmError(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
  denied: fcmError(
    403,
    "PERMISSION_DENIED",
    "Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/demo-push' (or it may not exist).",
  ),
  quota: fcmError(
    429,
    "RESOURCE_EXHAUSTED",
    "Quota exceeded for quota metric 'Send messages'.",
    "QUOTA_EXCEEDED",
  ),
  internal: fcmError(500, "INTERNAL", "Internal error encountered.", "INTERNAL"),
  apns: fcmError(
    401,
    "UNAUTHENTICATED",
    "Auth error from APNS or Web Push Service",
    "THIRD_PARTY_AUTH_ERROR",
  ),
  unavailable: fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
};

let server: http.Server;
let messaging: Messaging;
const requests = new Map<string, number>();
const received: unknown[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
    req.on("end", () => {
      const body = JSON.parse(raw) as { message: { token: string } };
      const token = body.message.token;
      const count = (requests.get(token) ?? 0) + 1;
      requests.set(token, count);
      // "flaky-unavailable": 503 once, then accepted (firebase-admin retries it by itself);
      // "once-quota-…" / "once-internal-…": that answer once, then accepted.
      const [first, second] = token.split("-");
      const prefix =
        token === "flaky-unavailable" && count === 1
          ? "unavailable"
          : first === "once"
            ? count === 1
              ? second
              : "ok"
            : first;
      const answer = prefix === undefined ? undefined : answers[prefix];
      res.setHeader("content-type", "application/json");
      if (answer) {
        res.statusCode = answer.httpStatus;
        res.end(JSON.stringify(answer.body));
      } else {
        received.push(body.message);
        res.end(JSON.stringify({ name: `projects/demo-push/messages/${received.length}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  messaging = emulatorMessaging(
    { host: "127.0.0.1", port: (server.address() as AddressInfo).port },
    "demo-push",
    // This stand-in speaks HTTP/1.1: the legacy transport, kept selectable (push-session-failures.test.ts
    // drives the default HTTP/2 one against the FCM emulator).
    "http/1.1",
  );
});

afterAll(async () => {
  await Promise.all(getApps().map((app) => deleteApp(app)));
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const push = (token: string) =>
  composeCommentPush({
    device: { token, locale: "ko-KR", platform: "ios" },
    commenterName: "민수",
    relation: "author",
    postId: "post-1",
    commentId: "comment-1",
    authorId: "minsu",
    text: "좋은 글이네요",
    ttlSeconds: 600,
    nowMs: 1_800_000_000_000,
  });

it("classifies what firebase-admin reports for each FCM answer, and the SDK retries only 503", async () => {
  const tokens = [
    "ok-1",
    "unregistered-1",
    "invalid-1",
    "payload-1",
    "mismatch-1",
    "denied-1",
    "quota-1",
    "internal-1",
    "apns-1",
    "flaky-unavailable",
  ];
  const { responses } = await messaging.sendEach(tokens.map(push));
  const outcomes = Object.fromEntries(
    tokens.map((token, i) => {
      const outcome = classifyFcmError(responses[i]?.error);
      return [token, outcome.kind === "sent" ? "sent" : `${outcome.kind}:${outcome.reason}`];
    }),
  );
  expect(outcomes).toEqual({
    "ok-1": "sent",
    "unregistered-1": "rejected:unregistered",
    "invalid-1": "rejected:invalid-token",
    "payload-1": "failed:invalid-payload",
    "mismatch-1": "rejected:sender-id-mismatch",
    "denied-1": "failed:permission-denied",
    "quota-1": "retryable:rate-limited",
    "internal-1": "retryable:internal",
    "apns-1": "failed:third-party-auth",
    "flaky-unavailable": "sent",
  });
  expect(responses[5]?.error?.code).toBe("messaging/mismatched-credential"); // same code as SENDER_ID_MISMATCH
  // firebase-admin does not retry 429 and 500 (ours to retry), but retried the 503 by itself.
  expect(requests.get("quota-1")).toBe(1);
  expect(requests.get("internal-1")).toBe(1);
  expect(requests.get("flaky-unavailable")).toBe(2);
});

it("sends the composed message as FCM v1 expects it on the wire", async () => {
  received.length = 0;
  await messaging.sendEach([push("ok-wire")]);
  expect(received).toEqual([
    {
      token: "ok-wire",
      notification: { title: "민수님의 새 댓글", body: "좋은 글이네요" },
      data: { type: "comment", postId: "post-1", commentId: "comment-1", authorId: "minsu" },
      android: {
        collapse_key: "comment-1",
        ttl: "600s",
        notification: { channel_id: "comments", tag: "post-1" },
      },
      apns: {
        headers: { "apns-collapse-id": "comment-1", "apns-expiration": "1800000600" },
        payload: { aps: { "thread-id": "post-1" } },
      },
      webpush: { headers: { TTL: "600", Topic: collapseKeysOf("comment-1").web } },
    },
  ]);
});

it("deliverMessages over firebase-admin: 429 and 500 retried to exactly one push each, tokens learnt", async () => {
  received.length = 0;
  const tokens = ["ok-a", "once-quota-a", "once-internal-a", "unregistered-a", "mismatch-a", "payload-a"];
  const report = await deliverMessages({
    messages: tokens.map((token) => ({ deviceId: `device-${token}`, message: push(token) })),
    sender: messaging,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    now: () => 0,
  });
  expect(received.map((m) => (m as { token: string }).token).sort()).toEqual([
    "ok-a",
    "once-internal-a",
    "once-quota-a",
  ]);
  expect(report).toMatchObject({ sent: 3, failed: 1, retries: 2, massRejectionGuardTripped: false });
  expect(report.rejected.map((r) => r.deviceId)).toEqual(["device-unregistered-a", "device-mismatch-a"]);
  expect(report.failures["invalid-payload"]?.count).toBe(1);
});
