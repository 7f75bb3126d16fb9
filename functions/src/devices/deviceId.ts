import { createHash } from "node:crypto";

/** A device's document id: the lowercase hex SHA-256 of its FCM token (docs/api.md: `devices/{deviceId}`). */
export function deviceIdOf(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** What logs may show of a token: its last 6 characters, never the whole token. */
export function tokenTail(token: string): string {
  return `…${token.slice(-6)}`;
}
