/**
 * Registration tokens the emulator refuses, by prefix, so tests and drills can provoke each outcome FCM
 * gives for a token (docs/api.md, "FCM emulator"). Every other non-empty token is taken as registered in
 * `lenient` mode (the default); in `strict` mode only a token shaped like an FCM registration token is,
 * as FCM itself does (`PUT /emulator/v1/config` with `{ "tokens": "strict" }`).
 */
import { randomBytes } from "node:crypto";
import { type FcmErrorAnswer, invalidRegistrationToken, senderIdMismatch, unregistered } from "./fcmErrors";

export type TokenMode = "lenient" | "strict";

/** `<instance id>:APA91b<base64url>`, over 100 characters: what FCM hands out to Android, iOS and web. */
const FCM_TOKEN_SHAPE = /^[A-Za-z0-9_-]+:APA91b[A-Za-z0-9_-]+$/;

export function isFcmShapedToken(token: string): boolean {
  return token.length > 100 && FCM_TOKEN_SHAPE.test(token);
}

export function answerForToken(token: string, mode: TokenMode = "lenient"): FcmErrorAnswer | undefined {
  if (token.startsWith("unregistered")) return unregistered();
  if (token.startsWith("invalid")) return invalidRegistrationToken();
  if (token.startsWith("mismatch")) return senderIdMismatch();
  if (mode === "strict" && !isFcmShapedToken(token)) return invalidRegistrationToken();
  return undefined;
}

/** A new token shaped like FCM's: a 22-character instance id, ":APA91b", then 140 base64url characters. */
export function mintToken(): string {
  const instanceId = randomBytes(16).toString("base64url").slice(0, 22);
  return `${instanceId}:APA91b${randomBytes(105).toString("base64url")}`;
}

/** `{ "tokens": "lenient" | "strict" }`, the body of `PUT /emulator/v1/config`. */
export function parseTokenConfig(
  body: unknown,
): { ok: true; tokens: TokenMode } | { ok: false; problem: string } {
  const tokens =
    typeof body === "object" && body !== null ? (body as { tokens?: unknown }).tokens : undefined;
  const keys = typeof body === "object" && body !== null ? Object.keys(body) : [];
  if (keys.some((key) => key !== "tokens")) return { ok: false, problem: "the only setting is tokens" };
  if (tokens !== "lenient" && tokens !== "strict") {
    return { ok: false, problem: 'tokens must be "lenient" or "strict"' };
  }
  return { ok: true, tokens };
}
