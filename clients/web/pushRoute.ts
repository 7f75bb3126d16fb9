// Where a tap on a push goes, from its `data.type` (docs/api.md "The push message", "Digests", "Push kinds";
// adding a kind: docs/kinds.md "The clients"). One pure function for the page and the service worker alike.
// An unknown type opens the app's home: a kind newer than this app version must still open something.
// A silent badge update (`data.type: "badge"`) is never shown, so never tapped: `isShownPush` says which
// pushes to show at all (the page's foreground pushes; the service worker never shows a data-only one).

/** A screen of the app a push opens. */
export type PushRoute =
  | { screen: "post"; postId: string; commentId?: string }
  | { screen: "profile"; uid: string }
  | { screen: "announcement"; requestId: string; data: Record<string, string> }
  | { screen: "home" };

/** The route of a push's `data` (all strings, as FCM delivers them). */
export function routeOf(data: Readonly<Record<string, string | undefined>>): PushRoute {
  switch (data.type) {
    case "comment":
      return data.postId
        ? { screen: "post", postId: data.postId, ...optional("commentId", data.commentId) }
        : home;
    case "comment_digest":
      // Scrolls to the latest comment of the window.
      return data.postId
        ? { screen: "post", postId: data.postId, ...optional("commentId", data.lastCommentId) }
        : home;
    case "follow":
      return data.followerId ? { screen: "profile", uid: data.followerId } : home;
    case "request": {
      // The outbox's request names its screen in its own data (e.g. `screen`, `orderId`): the app decides.
      if (!data.requestId) return home;
      const own = Object.entries(data).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && entry[0] !== "type" && entry[0] !== "requestId",
      );
      return { screen: "announcement", requestId: data.requestId, data: Object.fromEntries(own) };
    }
    case "badge":
      // Never shown (isShownPush): only the app badge changes (appBadge.ts). Home, should one be opened anyway.
      return home;
    default:
      return home;
  }
}

/** Whether a push is one to show the user: every push but a silent badge update (`data.type: "badge"`). */
export function isShownPush(data: Readonly<Record<string, string | undefined>>): boolean {
  return data.type !== "badge";
}

/** The app's path for a route (adapt to your router). */
export function pathOf(route: PushRoute): string {
  switch (route.screen) {
    case "post":
      return `/posts/${encodeURIComponent(route.postId)}${route.commentId ? `#comment-${encodeURIComponent(route.commentId)}` : ""}`;
    case "profile":
      return `/users/${encodeURIComponent(route.uid)}`;
    case "announcement":
      return `/announcements/${encodeURIComponent(route.requestId)}`;
    case "home":
      return "/";
  }
}

const home: PushRoute = { screen: "home" };

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
