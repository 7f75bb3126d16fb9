/**
 * FCM's error answers, in the JSON shape of Google APIs (`google.rpc.Status`). firebase-admin reads the
 * `errorCode` of the `FcmError` detail first and falls back to `status`, so both must be exactly as FCM
 * sends them: a wrong one changes the `error.code` the SDK reports.
 */

export const FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
export const BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest";

export interface FieldViolation {
  field: string;
  description: string;
}

type ErrorDetail =
  | { "@type": typeof FCM_ERROR_TYPE; errorCode: string }
  | { "@type": typeof BAD_REQUEST_TYPE; fieldViolations: FieldViolation[] }
  | { "@type": "type.googleapis.com/google.rpc.ErrorInfo"; reason: string; domain: string };

export interface FcmErrorBody {
  error: { code: number; message: string; status: string; details?: ErrorDetail[] };
}

/** An answer the server sends: HTTP status and JSON body. */
export interface FcmErrorAnswer {
  httpStatus: number;
  body: FcmErrorBody;
}

function answer(
  httpStatus: number,
  status: string,
  message: string,
  details?: ErrorDetail[],
): FcmErrorAnswer {
  const error = details
    ? { code: httpStatus, message, status, details }
    : { code: httpStatus, message, status };
  return { httpStatus, body: { error } };
}

function fcmError(errorCode: string): ErrorDetail {
  return { "@type": FCM_ERROR_TYPE, errorCode };
}

/** FCM rejects a message it understood but refuses (no target, reserved key, too big, ...). */
export function invalidArgument(violation: FieldViolation): FcmErrorAnswer {
  return answer(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [
    fcmError("INVALID_ARGUMENT"),
    { "@type": BAD_REQUEST_TYPE, fieldViolations: [violation] },
  ]);
}

/**
 * The JSON layer in front of FCM rejects a body that does not fit the `Message` proto (unknown field,
 * wrong type). Those answers carry no `FcmError` detail: the request never reached FCM itself.
 */
export function invalidJsonPayload(violation: FieldViolation): FcmErrorAnswer {
  return answer(400, "INVALID_ARGUMENT", violation.description, [
    { "@type": BAD_REQUEST_TYPE, fieldViolations: [violation] },
  ]);
}

export const REGISTRATION_TOKEN_MESSAGE = "The registration token is not a valid FCM registration token";

export function invalidRegistrationToken(): FcmErrorAnswer {
  // FCM's exact answer: the FcmError detail only (no BadRequest field violation).
  return answer(400, "INVALID_ARGUMENT", REGISTRATION_TOKEN_MESSAGE, [fcmError("INVALID_ARGUMENT")]);
}

export function unregistered(): FcmErrorAnswer {
  return answer(404, "NOT_FOUND", "Requested entity was not found.", [fcmError("UNREGISTERED")]);
}

export function senderIdMismatch(): FcmErrorAnswer {
  return answer(403, "PERMISSION_DENIED", "SenderId mismatch", [fcmError("SENDER_ID_MISMATCH")]);
}

/** No usable `Authorization: Bearer` header: Google's front end answers before FCM sees the request. */
export function missingCredentials(): FcmErrorAnswer {
  return answer(
    401,
    "UNAUTHENTICATED",
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "CREDENTIALS_MISSING",
        domain: "googleapis.com",
      },
    ],
  );
}

/** The statuses a fault can inject, each answered the way FCM answers it. */
export const FAULT_STATUSES = [401, 429, 500, 503] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

export function faultAnswer(status: FaultStatus): FcmErrorAnswer {
  switch (status) {
    case 401:
      return answer(401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", [
        fcmError("THIRD_PARTY_AUTH_ERROR"),
      ]);
    case 429:
      return answer(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send messages' and limit 'Send messages per minute' of service 'fcm.googleapis.com'.",
        [fcmError("QUOTA_EXCEEDED")],
      );
    case 500:
      return answer(500, "INTERNAL", "Internal error encountered.", [fcmError("INTERNAL")]);
    case 503:
      return answer(503, "UNAVAILABLE", "The service is currently unavailable.", [fcmError("UNAVAILABLE")]);
  }
}

/** Answers of the emulator's own routes, in the same shape so every client parses them alike. */
export function plainError(httpStatus: number, status: string, message: string): FcmErrorAnswer {
  return answer(httpStatus, status, message);
}
