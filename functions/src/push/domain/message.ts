/**
 * The parts every push of this project shares, whatever its kind (docs/api.md, "The push message"): the
 * language a device's locale picks, cut texts, and the platform blocks (Android channel and tag, APNs
 * thread, each platform's TTL, and the collapse key under which a second copy replaces the first).
 * Plain TypeScript: a kind's render builds its message from these.
 */
import { createHash } from "node:crypto";
import type { Platform } from "../../devices/platform";

/** What a render reads of a device. */
export type PushDevice = { token: string; locale?: string | null; platform: Platform };

/** One FCM v1 message, structurally a firebase-admin `TokenMessage` (it goes to `sendEach` as is). */
export type PushMessage = {
  token: string;
  notification?: { title: string; body?: string };
  data: Record<string, string>;
  android: {
    collapseKey: string;
    ttl: number;
    notification: { channelId: string; tag?: string; priority?: "low"; notificationCount?: number };
  };
  apns: {
    headers: { "apns-collapse-id": string; "apns-expiration": string };
    payload: {
      aps: { "thread-id": string; "interruption-level"?: "passive"; sound?: string; badge?: number };
    };
  };
  webpush: { headers: { TTL: string; Topic: string }; notification?: { silent: true } };
};

/** A push's TTL unless the caller gives one (params.ts: PUSH_MESSAGE_TTL_SECONDS). */
export const DEFAULT_TTL_SECONDS = 86_400;
/** The longest body, in code points, the ellipsis included. */
export const BODY_MAX_CODE_POINTS = 200;
/** Longest name shown, in code points (`displayName` is 1..80 by docs/api.md; this is a guard). */
const NAME_MAX_CODE_POINTS = 80;
const ELLIPSIS = "…";
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export type Language = "ko" | "en";

/** Korean when the locale's primary language subtag is `ko` ("ko", "ko-KR", "ko_KR"); English otherwise. */
export function languageOf(locale: string | null | undefined): Language {
  const primary = (locale ?? "").trim().split(/[-_]/)[0]?.toLowerCase();
  return primary === "ko" ? "ko" : "en";
}

/** The name to show: trimmed, control characters and runs of whitespace collapsed; `undefined` if nothing is left. */
export function displayNameOf(name: string | null | undefined): string | undefined {
  if (typeof name !== "string") return undefined;
  const clean = name
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (clean === "") return undefined;
  return truncateCodePoints(clean, NAME_MAX_CODE_POINTS);
}

/**
 * `text` cut to at most `max` code points, the ellipsis included. Never splits a surrogate pair, and
 * cuts at a grapheme boundary (a flag or a family emoji is kept whole or dropped whole).
 */
export function truncateCodePoints(text: string, max: number = BODY_MAX_CODE_POINTS): string {
  if (text.length <= max) return text; // never more code points than UTF-16 units
  // A fan-out renders the same text for every device: cut it once (grapheme segmentation is costly).
  const key = `${max}:${text}`;
  const known = recentlyCut.get(key);
  if (known !== undefined) return known;
  const cut = cutCodePoints(text, max);
  if (recentlyCut.size >= RECENT_CUTS) recentlyCut.clear();
  recentlyCut.set(key, cut);
  return cut;
}

/** Texts cut lately, by max and text; cleared when full (a cut is a pure function of both). */
const recentlyCut = new Map<string, string>();
const RECENT_CUTS = 64;

function cutCodePoints(text: string, max: number): string {
  if (countCodePoints(text) <= max) return text;
  const room = max - 1; // for the ellipsis
  let kept = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = countCodePoints(segment);
    if (used + size > room) break;
    kept += segment;
    used += size;
  }
  // One grapheme longer than the room (a pathological run of combining marks): fall back to code points.
  if (used === 0) kept = Array.from(text).slice(0, room).join("");
  return `${kept.trimEnd()}${ELLIPSIS}`;
}

/** Code points of `text` (a lone surrogate counts one, as `Array.from` does), without building an array. */
function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

/**
 * The key under which a second copy of the same push replaces the first instead of adding to it
 * (docs/delivery.md, "Duplicates"): the id itself where each platform allows it (APNs: at most 64 bytes),
 * else a hash of it; Web Push's `Topic` allows at most 32 URL-safe characters, so it is always the hash.
 */
export function collapseKeysOf(collapseId: string): { android: string; apns: string; web: string } {
  // One delivery's messages share their collapse id: hashed once, not once per device.
  if (lastCollapse?.collapseId === collapseId) return { ...lastCollapse.keys };
  const hash = createHash("sha256").update(collapseId, "utf8").digest("hex").slice(0, 32);
  const apns = Buffer.byteLength(collapseId, "utf8") <= 64 ? collapseId : hash;
  const keys = { android: collapseId, apns, web: hash };
  lastCollapse = { collapseId, keys };
  return { ...keys };
}

let lastCollapse: { collapseId: string; keys: { android: string; apns: string; web: string } } | undefined;

/** Where a push is grouped on each platform, and what it collapses under. */
export type Placement = { channelId: string; tag?: string | undefined; threadId: string; collapseId: string };

/** The platform blocks of a push: channel, tag and thread, the TTL on each platform, the collapse keys. */
export function platformBlocks(
  placement: Placement,
  ttlSecondsIn: number | undefined,
  nowMs: number = Date.now(),
): Pick<PushMessage, "android" | "apns" | "webpush"> {
  const ttlSeconds = Math.max(0, Math.floor(ttlSecondsIn ?? DEFAULT_TTL_SECONDS));
  const nowSeconds = Math.floor(nowMs / 1000);
  const collapse = collapseKeysOf(placement.collapseId);
  return {
    // firebase-admin takes the Android TTL in ms and sends it as "<seconds>s".
    android: {
      collapseKey: collapse.android,
      ttl: ttlSeconds * 1000,
      notification: {
        channelId: placement.channelId,
        ...(placement.tag === undefined ? {} : { tag: placement.tag }),
      },
    },
    // apns-expiration 0 means "deliver now or never"; otherwise an absolute time in epoch seconds.
    apns: {
      headers: {
        "apns-collapse-id": collapse.apns,
        "apns-expiration": String(ttlSeconds === 0 ? 0 : nowSeconds + ttlSeconds),
      },
      payload: { aps: { "thread-id": placement.threadId } },
    },
    webpush: { headers: { TTL: String(ttlSeconds), Topic: collapse.web } },
  };
}
