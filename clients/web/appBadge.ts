// The app badge on the Web: the user's unread count (their feed's, notificationFeed.ts) on the installed
// app's icon. Every push carries it as `data.unread` (a string, this push's own item included); after the
// user read items on any of their devices, each device gets a silent badge update, `data: { type: "badge",
// unread }`, which only changes the badge and is never shown (docs/api.md). One small module for the page and
// the service worker alike: it imports no Firebase code.
//
// `navigator.setAppBadge` (the Badging API) works in Chromium-based browsers for an installed web app (PWA)
// and in Safari 17+ for a web app added to the Dock or Home Screen; elsewhere it is missing or refuses, and
// the page's own bell is the badge. Both cases are silent here: a badge is never worth an error.

type PushData = Readonly<Record<string, string | undefined>> | undefined;

/** Whether a push is a silent badge update (`data.type == "badge"`): set the badge, show nothing. */
export function isBadgeUpdate(data: PushData): boolean {
  return data?.type === "badge";
}

/** The unread count a push carries (`data.unread`), or undefined when it carries none or a bad one. */
export function unreadOf(data: PushData): number | undefined {
  const text = data?.unread;
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  return Number(text);
}

/** What of `navigator` the badge needs; in a service worker, `self.navigator` (WorkerNavigator) has it too. */
export type BadgeNavigator = {
  setAppBadge?: (contents?: number) => Promise<void>;
  clearAppBadge?: () => Promise<void>;
};

/** Whether this browser has the Badging API at all (it may still refuse for a site that is not installed). */
export function appBadgeSupported(nav: BadgeNavigator = navigator): boolean {
  return typeof nav.setAppBadge === "function";
}

/**
 * Shows `unread` on the app's icon (0 clears it) where the browser supports it; resolves whether it did.
 * Never throws: an unsupported or uninstalled app just keeps no badge.
 */
export async function setAppBadge(unread: number, nav: BadgeNavigator = navigator): Promise<boolean> {
  try {
    if (unread > 0 && nav.setAppBadge) await nav.setAppBadge(unread);
    else if (unread <= 0 && nav.clearAppBadge) await nav.clearAppBadge();
    else return false;
    return true;
  } catch {
    return false;
  }
}

/** The badge from a push's `data.unread`, when it carries one (a badge update or any other push). */
export function setAppBadgeFrom(data: PushData, nav?: BadgeNavigator): Promise<boolean> {
  const unread = unreadOf(data);
  return unread === undefined ? Promise.resolve(false) : setAppBadge(unread, nav);
}
