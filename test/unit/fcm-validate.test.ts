/** The FCM emulator's validator: FCM's rules and FCM's answers, without a server. */
import { answerForToken } from "../../fcm-emulator/src/tokenConventions";
import { checkSendRequest, MAX_MESSAGE_BYTES, payloadBytes } from "../../fcm-emulator/src/validate";

const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";

/** The comment push as firebase-admin 13 serializes it (snake_case renames, APNs keys, ttl as a duration). */
const sdkShapedPush = {
  token: "device-token",
  notification: {
    title: "Mina commented on your post",
    body: "Nice photo!",
    image: "https://example.com/a.png",
  },
  data: { type: "comment", postId: "p1", commentId: "c1", authorId: "u1" },
  android: {
    priority: "high",
    ttl: "3600s",
    collapse_key: "post-p1",
    notification: {
      channel_id: "comments",
      tag: "p1",
      click_action: "OPEN",
      notification_priority: "PRIORITY_HIGH",
      visibility: "PUBLIC",
      event_time: "2026-11-23T10:00:00.000Z",
      vibrate_timings: ["0.5s", "1s"],
      light_settings: {
        color: { red: 1, green: 0, blue: 0, alpha: 1 },
        light_on_duration: "1s",
        light_off_duration: "2s",
      },
      notification_count: 3,
    },
    fcmOptions: { analyticsLabel: "comment" },
  },
  apns: {
    headers: { "apns-priority": "10" },
    payload: {
      aps: { "thread-id": "p1", "mutable-content": 1, alert: { "loc-key": "x" } },
      custom: { any: [1] },
    },
    fcmOptions: { image: "https://example.com/a.png" },
  },
  webpush: {
    notification: { title: "t", actions: [{ action: "a", title: "A" }] },
    fcmOptions: { link: "https://x" },
  },
  fcmOptions: { analyticsLabel: "comment" },
};

function refusal(body: unknown) {
  const check = checkSendRequest(body);
  if (check.ok) throw new Error(`expected a refusal of ${JSON.stringify(body)}`);
  return check.answer;
}

function violationOf(body: unknown) {
  const details = refusal(body).body.error.details ?? [];
  const badRequest = details.find((detail) => detail["@type"] === BAD_REQUEST);
  return badRequest && "fieldViolations" in badRequest ? badRequest.fieldViolations[0] : undefined;
}

describe("checkSendRequest", () => {
  it("accepts what firebase-admin sends, and reports the token and dry-run flag", () => {
    const check = checkSendRequest({ message: sdkShapedPush, validate_only: true });

    expect(check).toEqual({ ok: true, message: sdkShapedPush, validateOnly: true, token: "device-token" });
  });

  it("accepts camelCase and snake_case names alike", () => {
    const check = checkSendRequest({
      validateOnly: false,
      message: {
        topic: "news",
        android: { collapseKey: "a", restrictedPackageName: "b", directBootOk: true },
      },
    });

    expect(check).toMatchObject({ ok: true, validateOnly: false, token: undefined });
  });

  it("accepts topics and conditions as targets", () => {
    expect(checkSendRequest({ message: { topic: "/topics/news" } }).ok).toBe(true);
    expect(checkSendRequest({ message: { condition: "'a' in topics" } }).ok).toBe(true);
  });

  it("refuses an unknown field as the JSON layer does, without an FcmError detail", () => {
    const answer = refusal({ message: { token: "t", android: { channel: "x" } } });

    const description = `Invalid JSON payload received. Unknown name "channel" at 'message.android': Cannot find field.`;
    expect(answer).toEqual({
      httpStatus: 400,
      body: {
        error: {
          code: 400,
          message: description,
          status: "INVALID_ARGUMENT",
          details: [{ "@type": BAD_REQUEST, fieldViolations: [{ field: "message.android", description }] }],
        },
      },
    });
  });

  it("refuses an unknown top-level field", () => {
    expect(violationOf({ message: { token: "t" }, dryRun: true })?.description).toBe(
      `Invalid JSON payload received. Unknown name "dryRun": Cannot find field.`,
    );
  });

  it("refuses a non-string data value, naming the entry", () => {
    expect(violationOf({ message: { token: "t", data: { a: "1", b: 2 } } })).toEqual({
      field: "message.data[1].value",
      description: "Invalid value at 'message.data[1].value' (TYPE_STRING), 2",
    });
  });

  it.each(["from", "notification", "message_type", "google.c.a", "googleFoo", "gcm.notification.x", "gcmx"])(
    "refuses the reserved data key %s with FCM's INVALID_ARGUMENT",
    (key) => {
      const answer = refusal({ message: { token: "t", data: { [key]: "v" } } });

      expect(answer.httpStatus).toBe(400);
      expect(answer.body.error.details).toContainEqual({ "@type": FCM_ERROR, errorCode: "INVALID_ARGUMENT" });
      expect(violationOf({ message: { token: "t", data: { [key]: "v" } } })?.field).toBe("message.data");
    },
  );

  it("refuses reserved keys in android.data too", () => {
    expect(violationOf({ message: { token: "t", android: { data: { from: "x" } } } })?.field).toBe(
      "message.android.data",
    );
  });

  it("refuses two targets as a oneof conflict", () => {
    expect(violationOf({ message: { token: "t", condition: "c" } })?.description).toBe(
      "Invalid JSON payload received. Oneof field 'target' is already set. Cannot set 'condition'",
    );
  });

  it.each([{}, { token: "" }, { notification: { title: "t" } }])(
    "refuses a message without a target: %j",
    (message) => {
      expect(refusal({ message }).body.error.details).toContainEqual({
        "@type": FCM_ERROR,
        errorCode: "INVALID_ARGUMENT",
      });
    },
  );

  it("refuses a malformed topic name", () => {
    expect(violationOf({ message: { topic: "news and weather" } })?.field).toBe("message.topic");
  });

  it("takes android priority in any case, and refuses other values", () => {
    expect(checkSendRequest({ message: { token: "t", android: { priority: "normal" } } }).ok).toBe(true);
    expect(checkSendRequest({ message: { token: "t", android: { priority: "HIGH" } } }).ok).toBe(true);
    expect(violationOf({ message: { token: "t", android: { priority: "urgent" } } })).toEqual({
      field: "message.android.priority",
      description:
        "Invalid value at 'message.android.priority' (type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), \"urgent\"",
    });
  });

  it.each(["3.5s", "0s", "2419200s", "1.000000001s"])("accepts the ttl %s", (ttl) => {
    expect(checkSendRequest({ message: { token: "t", android: { ttl } } }).ok).toBe(true);
  });

  it.each(["3.5", "10m", "s", "1.5 s", 3600, "-1s"])("refuses the ttl %j", (ttl) => {
    expect(violationOf({ message: { token: "t", android: { ttl } } })?.field).toBe("message.android.ttl");
  });

  it("refuses a message over 4096 bytes and accepts one at the limit", () => {
    const base = { token: "t".repeat(300), data: { text: "" } };
    const room = MAX_MESSAGE_BYTES - payloadBytes(base);
    const atLimit = { ...base, data: { text: "x".repeat(room) } };
    const overLimit = { ...base, data: { text: "x".repeat(room + 1) } };

    expect(payloadBytes(atLimit)).toBe(MAX_MESSAGE_BYTES);
    expect(checkSendRequest({ message: atLimit }).ok).toBe(true);
    expect(violationOf({ message: overLimit })?.description).toMatch(/too big/);
  });

  it("counts bytes, not characters", () => {
    expect(payloadBytes({ data: { k: "한" } })).toBe(JSON.stringify({ data: { k: "" } }).length + 3);
  });

  it("treats null as not set, as proto3 JSON does", () => {
    expect(checkSendRequest({ message: { token: "t", topic: null, android: null } }).ok).toBe(true);
  });

  it("refuses a list where an object belongs", () => {
    expect(violationOf({ message: { token: "t", android: [] } })?.description).toBe(
      `Invalid JSON payload received. Unknown name "android" at 'message': Proto field is not repeating, cannot start list.`,
    );
  });

  it("refuses a body that is not an object", () => {
    expect(refusal([1]).httpStatus).toBe(400);
    expect(refusal("x").httpStatus).toBe(400);
  });

  it("leaves apns.payload and webpush.notification free-form but requires objects", () => {
    expect(
      checkSendRequest({ message: { token: "t", apns: { payload: { anything: { goes: [1] } } } } }).ok,
    ).toBe(true);
    expect(violationOf({ message: { token: "t", apns: { payload: "aps" } } })?.field).toBe(
      "message.apns.payload",
    );
  });
});

describe("answerForToken", () => {
  it.each([
    ["unregistered-1", 404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."],
    [
      "invalid-1",
      400,
      "INVALID_ARGUMENT",
      "INVALID_ARGUMENT",
      "The registration token is not a valid FCM registration token",
    ],
    ["mismatch-1", 403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch"],
  ])("answers %s with %i %s / %s", (token, code, status, errorCode, message) => {
    const answer = answerForToken(token);

    expect(answer?.httpStatus).toBe(code);
    expect(answer?.body.error).toMatchObject({ code, status, message });
    expect(answer?.body.error.details?.[0]).toEqual({ "@type": FCM_ERROR, errorCode });
  });

  it.each(["device-token", "x-unregistered", "Invalid"])("accepts %s", (token) => {
    expect(answerForToken(token)).toBeUndefined();
  });
});
