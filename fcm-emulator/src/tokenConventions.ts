/**
 * Registration tokens the emulator refuses, by prefix, so tests and drills can provoke each outcome FCM
 * gives for a token (docs/emulators.md, "The FCM emulator"). Every other non-empty token is taken as registered.
 */
import { type FcmErrorAnswer, invalidRegistrationToken, senderIdMismatch, unregistered } from "./fcmErrors";

export function answerForToken(token: string): FcmErrorAnswer | undefined {
  if (token.startsWith("unregistered")) return unregistered();
  if (token.startsWith("invalid")) return invalidRegistrationToken();
  if (token.startsWith("mismatch")) return senderIdMismatch();
  return undefined;
}
