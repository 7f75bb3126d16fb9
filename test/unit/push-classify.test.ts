import { classifyFcmError, type FcmError } from "../../functions/src/push/domain/classify";

/** Per-message errors as firebase-admin 13 reports FCM v1 answers (code from its mapping, message from FCM). */
const fcm = {
  unregistered: {
    code: "messaging/registration-token-not-registered",
    message: "Requested entity was not found.",
  },
  invalidToken: {
    code: "messaging/invalid-argument",
    message: "The registration token is not a valid FCM registration token",
  },
  senderIdMismatch: { code: "messaging/mismatched-credential", message: "SenderId mismatch" },
  permissionDenied: {
    code: "messaging/mismatched-credential",
    message:
      "Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/demo-push' (or it may not exist).",
  },
  invalidPayload: {
    code: "messaging/invalid-argument",
    message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
  },
  quotaExceeded: {
    code: "messaging/message-rate-exceeded",
    message: "Quota exceeded for quota metric 'Send requests'",
  },
  unavailable: { code: "messaging/server-unavailable", message: "The service is currently unavailable." },
  internal: { code: "messaging/internal-error", message: "Internal error encountered." },
  thirdPartyAuth: {
    code: "messaging/third-party-auth-error",
    message: "Auth error from APNS or Web Push Service",
  },
  connectionReset: {
    code: "app/network-error",
    message: "Error while making request: socket hang up. Error code: ECONNRESET",
  },
  connectionRefused: {
    code: "app/network-error",
    message: "Error while making request: connect ECONNREFUSED 127.0.0.1:9599. Error code: ECONNREFUSED",
  },
  timeout: {
    code: "app/network-timeout",
    message: "Error while making request: timeout of 15000ms exceeded.",
  },
} satisfies Record<string, FcmError>;

describe("classifyFcmError: every row of docs/api.md's FCM outcomes table", () => {
  it("success → sent", () => {
    expect(classifyFcmError(undefined)).toEqual({ kind: "sent" });
  });

  it.each([
    ["UNREGISTERED (404)", fcm.unregistered, "unregistered"],
    ["token INVALID_ARGUMENT (400)", fcm.invalidToken, "invalid-token"],
    ["SENDER_ID_MISMATCH (403)", fcm.senderIdMismatch, "sender-id-mismatch"],
    [
      "legacy invalid-registration-token",
      { code: "messaging/invalid-registration-token", message: "x" },
      "invalid-token",
    ],
  ])("%s → token rejected", (_row, error, reason) => {
    expect(classifyFcmError(error)).toMatchObject({ kind: "rejected", reason });
  });

  it.each([
    ["PERMISSION_DENIED (403, same code as SENDER_ID_MISMATCH)", fcm.permissionDenied, "permission-denied"],
    ["payload INVALID_ARGUMENT (400)", fcm.invalidPayload, "invalid-payload"],
    ["THIRD_PARTY_AUTH_ERROR (401)", fcm.thirdPartyAuth, "third-party-auth"],
    [
      "firebase-admin's own payload validation",
      { code: "messaging/invalid-payload", message: "bad" },
      "invalid-payload",
    ],
    ["non-JSON 401/403", { code: "messaging/authentication-error", message: "x" }, "permission-denied"],
    ["UNSPECIFIED_ERROR", { code: "messaging/unknown-error", message: "An unknown server error" }, "unknown"],
    ["an unheard-of code", { code: "messaging/brand-new", message: "?" }, "unknown"],
  ])("%s → failed, token untouched", (_row, error, reason) => {
    expect(classifyFcmError(error)).toMatchObject({ kind: "failed", reason });
  });

  it.each([
    ["QUOTA_EXCEEDED (429)", fcm.quotaExceeded, "rate-limited", false],
    ["INTERNAL (500)", fcm.internal, "internal", false],
    ["UNAVAILABLE (503), already retried by firebase-admin", fcm.unavailable, "unavailable", true],
    ["ECONNRESET, already retried by firebase-admin", fcm.connectionReset, "network", true],
    ["timeout, already retried by firebase-admin", fcm.timeout, "network", true],
    ["ECONNREFUSED, not retried by firebase-admin", fcm.connectionRefused, "network", false],
    ["a raw socket error", { code: "ECONNRESET", message: "read ECONNRESET" }, "network", false],
  ])("%s → retryable", (_row, error, reason, retriedBySdk) => {
    expect(classifyFcmError(error)).toMatchObject({ kind: "retryable", reason, retriedBySdk });
  });

  it("keeps code and message in the detail for logs", () => {
    const outcome = classifyFcmError(fcm.thirdPartyAuth);
    expect(outcome.kind === "failed" && outcome.detail).toBe(
      "messaging/third-party-auth-error: Auth error from APNS or Web Push Service",
    );
  });
});
