// The user's notification preferences from the Web (modular SDK): which kinds of push they get (comments,
// new followers, announcements) and their quiet hours, during which pushes still arrive but silently.
// Changed only through the `setNotificationPreferences` callable (the server merges the change into what is
// stored and answers with the whole result); read from `notifications/{uid}`, which only its owner may read
// and nobody but the server writes (firestore.rules). Type-checked against the callable's own request and
// response types (clients/web/tsconfig.json, in `npm run typecheck`). How an app uses it: README.md here.
import type { FirebaseApp } from "firebase/app";
import { doc, type Firestore, getDoc, getFirestore, onSnapshot, type Unsubscribe } from "firebase/firestore";
import { type Functions, FunctionsError, getFunctions, httpsCallable } from "firebase/functions";
import type { SetNotificationPreferencesResponse } from "../../functions/src/functions/setNotificationPreferences";
import type { Preferences, SetPreferencesRequest } from "../../functions/src/notifications/preferences";

export type { Preferences, SetPreferencesRequest };
export type PreferenceKind = keyof Preferences["kinds"];
export type QuietHours = NonNullable<Preferences["quietHours"]>;

/** One problem of a refused change, as the callable's `invalid-argument` error names it. */
export interface PreferenceProblem {
  /** The field, e.g. "quietHours.end" ("" for the request itself). */
  path: string;
  message: string;
}

export interface NotificationPreferencesOptions {
  app: FirebaseApp;
  /** Functions to call the callable with (defaults to the app's, us-central1). */
  functions?: Functions;
  /** Firestore to read `notifications/{uid}` from (defaults to the app's). */
  firestore?: Firestore;
}

/** A new user's preferences, before they set any: every kind on, no quiet hours (as the server says). */
export function defaultPreferences(): Preferences {
  return { kinds: { comments: true, follows: true, announcements: true }, quietHours: null };
}

/** This device's IANA time zone, e.g. "Asia/Seoul": what quiet hours are meant in, by default. */
export function deviceTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export class NotificationPreferences {
  private readonly functions: Functions;
  private readonly firestore: Firestore;

  constructor(options: NotificationPreferencesOptions) {
    this.functions = options.functions ?? getFunctions(options.app, "us-central1");
    this.firestore = options.firestore ?? getFirestore(options.app);
  }

  /** The signed-in user's preferences as stored (the defaults when they never set any). */
  async current(uid: string): Promise<Preferences> {
    return preferencesOf((await getDoc(doc(this.firestore, "notifications", uid))).get("preferences"));
  }

  /** The signed-in user's preferences, now and at every change (by any of their devices). */
  watch(
    uid: string,
    listener: (preferences: Preferences) => void,
    onError?: (error: Error) => void,
  ): Unsubscribe {
    return onSnapshot(
      doc(this.firestore, "notifications", uid),
      (snapshot) => listener(preferencesOf(snapshot.get("preferences"))),
      onError,
    );
  }

  /**
   * Changes what `change` names and leaves the rest as stored; answers with the whole stored preferences.
   * Bad input (an unknown zone, a time that is not "HH:MM", start equal to end) fails with a
   * `FunctionsError` of code `functions/invalid-argument` and changes nothing: `problemsOf(error)` lists why.
   */
  async set(change: SetPreferencesRequest): Promise<Preferences> {
    const setNotificationPreferences = httpsCallable<
      SetPreferencesRequest,
      SetNotificationPreferencesResponse
    >(this.functions, "setNotificationPreferences");
    return (await setNotificationPreferences(change)).data.preferences;
  }

  /** One switch: e.g. `setKind("comments", false)` stops comment pushes (and digests). */
  setKind(kind: PreferenceKind, on: boolean): Promise<Preferences> {
    return this.set({ kinds: { [kind]: on } });
  }

  /** Quiet hours from `start` to `end` ("22:00" to "07:00" spans midnight), in this device's time zone by default. */
  setQuietHours(start: string, end: string, timeZone: string = deviceTimeZone()): Promise<Preferences> {
    return this.set({ quietHours: { start, end, timeZone } });
  }

  /** No quiet hours: every push may make a sound again. */
  clearQuietHours(): Promise<Preferences> {
    return this.set({ quietHours: null });
  }
}

/** Why the callable refused a change (its `invalid-argument` details); empty for any other error. */
export function problemsOf(error: unknown): PreferenceProblem[] {
  if (!(error instanceof FunctionsError) || error.code !== "functions/invalid-argument") return [];
  const details: unknown = error.details;
  if (!Array.isArray(details)) return [];
  return details.filter(
    (detail): detail is PreferenceProblem =>
      typeof detail === "object" &&
      detail !== null &&
      typeof (detail as Record<string, unknown>).path === "string" &&
      typeof (detail as Record<string, unknown>).message === "string",
  );
}

/** The stored `preferences` field read leniently: what is missing or malformed counts as the default. */
function preferencesOf(stored: unknown): Preferences {
  const preferences = defaultPreferences();
  if (typeof stored !== "object" || stored === null) return preferences;
  const { kinds, quietHours } = stored as { kinds?: unknown; quietHours?: unknown };
  if (typeof kinds === "object" && kinds !== null) {
    for (const kind of Object.keys(preferences.kinds) as PreferenceKind[]) {
      const value = (kinds as Record<string, unknown>)[kind];
      if (typeof value === "boolean") preferences.kinds[kind] = value;
    }
  }
  if (typeof quietHours === "object" && quietHours !== null) {
    const { start, end, timeZone } = quietHours as Record<string, unknown>;
    if (typeof start === "string" && typeof end === "string" && typeof timeZone === "string") {
      preferences.quietHours = { start, end, timeZone };
    }
  }
  return preferences;
}
