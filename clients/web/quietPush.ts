// Quiet hours on the Web: a push sent while its recipient is in their quiet hours (notificationPreferences.ts)
// still arrives, but makes no sound. The backend marks it twice: `webpush.notification.silent: true` and
// `data.quiet: "true"` (docs/api.md). One pure decision for the service worker and the page alike.

/** Whether a push (its `data`, all strings as FCM delivers them) was sent during the recipient's quiet hours. */
export function isQuietPush(data: Readonly<Record<string, string | undefined>> | undefined): boolean {
  return data?.quiet === "true";
}

/**
 * The options to show a notification with: `silent` when the push is quiet (by either mark), and then no
 * `vibrate` either (browsers refuse a notification that is silent and vibrates, with a TypeError).
 */
export function shownQuietly<T extends { silent?: boolean | null; vibrate?: unknown }>(
  options: T,
  data: Readonly<Record<string, string | undefined>> | undefined,
): T {
  if (!options.silent && !isQuietPush(data)) return options;
  const quiet = { ...options, silent: true };
  delete quiet.vibrate;
  return quiet;
}
