// The demo web app's page (served by demo-app/server.mjs): the project's Web client (clients/web) and the
// `firebase` JS SDK against the emulators. Each window is one device: auth and the registered token live
// in sessionStorage, so two windows of one browser can be two users pushing to each other.
import { initializeApp } from "firebase/app";
import {
  browserSessionPersistence,
  connectAuthEmulator,
  initializeAuth,
  onAuthStateChanged,
  signInWithEmailAndPassword,
  signOut,
  type User,
} from "firebase/auth";
import {
  addDoc,
  collection,
  connectFirestoreEmulator,
  doc,
  getDoc,
  getFirestore,
  limit,
  onSnapshot,
  orderBy,
  query,
  serverTimestamp,
  type Unsubscribe,
} from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions } from "firebase/functions";
import { setAppBadge } from "../../clients/web/appBadge";
import { startAppCheck } from "../../clients/web/appCheck";
import { type FeedItem, NotificationFeed } from "../../clients/web/notificationFeed";
import {
  deviceTimeZone,
  NotificationPreferences,
  type PreferenceKind,
  type Preferences,
} from "../../clients/web/notificationPreferences";
import { type ForegroundPush, WebPush } from "../../clients/web/pushRegistration";
import { isShownPush, routeOf } from "../../clients/web/pushRoute";
import { isQuietPush } from "../../clients/web/quietPush";

interface DemoConfig {
  firebase: { projectId: string; apiKey: string; authDomain: string };
  emulators: { auth: string; firestore: string; functions: string; fcm: string };
  users: { uid: string; email: string; displayName: string }[];
  password: string;
  post: { id: string; title: string };
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function el(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const hostPort = (value: string): [string, number] => {
  const [host = "127.0.0.1", port = "0"] = value.split(":");
  return [host, Number(port)];
};

async function main(): Promise<void> {
  const config = (await (await fetch("/demo-config.json")).json()) as DemoConfig;
  const app = initializeApp(config.firebase);
  // Under the emulators App Check is skipped (the functions do not enforce it there); in production
  // the same call starts reCAPTCHA Enterprise with the site's key.
  startAppCheck(app, { recaptchaEnterpriseSiteKey: "", underEmulators: true });
  const auth = initializeAuth(app, { persistence: browserSessionPersistence });
  connectAuthEmulator(auth, config.emulators.auth, { disableWarnings: true });
  const db = getFirestore(app);
  connectFirestoreEmulator(db, ...hostPort(config.emulators.firestore));
  const functions = getFunctions(app, "us-central1");
  connectFunctionsEmulator(functions, ...hostPort(config.emulators.functions));
  const push = new WebPush({ app, functions, storage: sessionStorage, fcmEmulatorUrl: config.emulators.fcm });
  const preferences = new NotificationPreferences({ app, functions, firestore: db });
  const feed = new NotificationFeed({ app, functions, firestore: db });

  const postId = new URLSearchParams(location.search).get("post") || config.post.id;
  $<HTMLAnchorElement>("inbox-link").href = `${config.emulators.fcm}/?postId=${encodeURIComponent(postId)}`;

  // --- Sign in and out ---------------------------------------------------------------------------------
  const users = $("users");
  for (const user of config.users) {
    const button = el("button", "", `Sign in as ${user.displayName}`) as HTMLButtonElement;
    button.type = "button";
    button.addEventListener("click", () => {
      button.disabled = true;
      signInWithEmailAndPassword(auth, user.email, config.password)
        .catch((error: unknown) => showError("sign-in", error))
        .finally(() => (button.disabled = false));
    });
    users.append(button);
  }

  let stopSignedIn: (() => void) | undefined;
  $("sign-out").addEventListener("click", () => {
    // Stop listening first (the rules refuse reads once signed out), unregister this browser's token
    // (never blocks: see WebPush.disable), then sign out.
    stopSignedIn?.();
    stopSignedIn = undefined;
    void push.disable().finally(() => void signOut(auth));
  });

  onAuthStateChanged(auth, (user) => {
    stopSignedIn?.();
    stopSignedIn = undefined;
    $("who").hidden = !user;
    $("sign-in").hidden = Boolean(user);
    for (const id of ["feed-panel", "device", "preferences", "post", "pushes-panel"]) $(id).hidden = !user;
    if (user) stopSignedIn = signedIn(user);
  });

  // --- Signed in ----------------------------------------------------------------------------------------
  function signedIn(user: User): () => void {
    const known = config.users.find((candidate) => candidate.uid === user.uid);
    $("who-name").textContent = known?.displayName ?? user.email ?? user.uid;
    const stops: (() => void)[] = [watchFeed(user), watchPost(user), watchComments(), editPreferences(user)];
    const stopPushes = { current: (): void => undefined };
    stops.push(() => stopPushes.current());

    const showDevice = (token: string | null) => {
      $("device-state").textContent = token
        ? `Notifications are on: this browser is registered as device …${token.slice(-6)}.`
        : "Notifications are off in this browser.";
      $<HTMLButtonElement>("enable").hidden = Boolean(token);
      stopPushes.current();
      stopPushes.current = token ? followPushes() : () => undefined;
    };
    // At every start: re-register a browser that was registered before; never prompts.
    push.refresh().then(showDevice, (error: unknown) => showError("device", error));

    const enable = $<HTMLButtonElement>("enable");
    enable.onclick = () => {
      // A user gesture: the only place the permission may be asked for.
      enable.disabled = true;
      push
        .enable()
        .then((result) => {
          if (result.status === "registered") showDevice(result.token);
          else $("device-state").textContent = `Notifications are ${result.status} in this browser.`;
        })
        .catch((error: unknown) => showError("device", error))
        .finally(() => (enable.disabled = false));
    };

    const form = $<HTMLFormElement>("comment-form");
    form.onsubmit = (event) => {
      event.preventDefault();
      const input = $<HTMLTextAreaElement>("comment-text");
      const text = input.value.trim();
      if (!text) return;
      const send = $<HTMLButtonElement>("send");
      send.disabled = true;
      $("comment-error").hidden = true;
      addDoc(collection(db, "posts", postId, "comments"), {
        authorId: user.uid,
        text,
        createdAt: serverTimestamp(),
      })
        .then(() => (input.value = ""))
        .catch((error: unknown) => showError("comment", error))
        .finally(() => (send.disabled = false));
    };
    return () => stops.forEach((stop) => stop());
  }

  // --- The bell and the feed ---------------------------------------------------------------------------
  /**
   * The unread count (`notifications/{uid}.unread`) on the bell, the tab's title and the app badge, and the
   * newest items, live: both are Firestore listeners, so reading in another window (or on a phone) shows
   * here at once, without a reload. Items are marked read through `markNotificationsRead`.
   */
  function watchFeed(user: User): () => void {
    let active = true;
    let unread = 0;
    const markAll = $<HTMLButtonElement>("mark-all-read");
    const showCount = (count: number) => {
      unread = count;
      $("unread-count").textContent = String(count);
      $("bell").classList.toggle("has-unread", count > 0);
      $("bell").setAttribute("aria-label", `Notifications: ${count} unread`);
      markAll.disabled = count === 0;
      document.title = count > 0 ? `(${count}) Push demo` : "Push demo";
      // The installed app's icon too, where the browser supports it (clients/web/appBadge.ts).
      void setAppBadge(count);
    };
    const markRead = (ids: string[] | "all") => {
      $("feed-error").hidden = true;
      return (ids === "all" ? feed.markAllRead() : feed.markRead(ids)).catch(
        (error: unknown) => active && showError("feed", error),
      );
    };
    const showItems = (items: FeedItem[]) => {
      $("feed-empty").hidden = items.length > 0;
      $("feed").replaceChildren(
        ...items.map((item) => {
          const li = el("li", item.read ? "read" : "unread");
          li.dataset.id = item.id;
          li.dataset.kind = item.kind;
          li.append(
            el("div", "title", item.title || "(no title)"),
            el("div", "body", item.body ?? ""),
            el("div", "time", item.createdAt ? item.createdAt.toLocaleTimeString() : ""),
          );
          if (!item.read) {
            li.title = "Mark read";
            li.onclick = () => {
              li.onclick = null;
              // Read, then open its post when it is another one (a tap on the push would go there too).
              const route = routeOf(item.data);
              void markRead([item.id]).then(() => {
                if (active && route.screen === "post" && route.postId !== postId)
                  location.search = `?post=${encodeURIComponent(route.postId)}`;
              });
            };
          }
          return li;
        }),
      );
    };
    $("feed").replaceChildren();
    $("feed-error").hidden = true;
    showCount(0);
    const stopCount = feed.watchUnread(
      user.uid,
      (count) => active && showCount(count),
      (error) => showError("feed", error),
    );
    const stopItems = feed.watchLatest(
      user.uid,
      ({ items }) => active && showItems(items),
      { pageSize: 20 },
      (error) => showError("feed", error),
    );
    markAll.onclick = () => {
      markAll.disabled = true;
      void markRead("all").finally(() => (markAll.disabled = unread === 0));
    };
    return () => {
      active = false;
      stopCount();
      stopItems();
      markAll.onclick = null;
      document.title = "Push demo";
      void setAppBadge(0);
    };
  }

  // --- Notification preferences ---------------------------------------------------------------------
  const KINDS: { kind: PreferenceKind; label: string }[] = [
    { kind: "comments", label: "Comments" },
    { kind: "follows", label: "New followers" },
    { kind: "announcements", label: "Announcements" },
  ];
  const zones = $("zones");
  if (zones.childElementCount === 0) {
    zones.append(
      ...Intl.supportedValuesOf("timeZone").map((zone) => Object.assign(el("option", ""), { value: zone })),
    );
  }

  /** The switches and quiet hours as the callable answered (or `notifications/{uid}` holds), in the form. */
  function editPreferences(user: User): () => void {
    let active = true;
    const form = $<HTMLFormElement>("preferences-form");
    const input = (id: string) => $<HTMLInputElement>(id);
    const syncQuietInputs = () => {
      for (const id of ["quiet-start", "quiet-end", "quiet-zone"])
        input(id).disabled = !input("quiet-on").checked;
    };
    const show = (stored: Preferences) => {
      for (const { kind } of KINDS) input(`kind-${kind}`).checked = stored.kinds[kind];
      input(stored.quietHours ? "quiet-on" : "quiet-off").checked = true;
      input("quiet-start").value = stored.quietHours?.start ?? "22:00";
      input("quiet-end").value = stored.quietHours?.end ?? "07:00";
      input("quiet-zone").value = stored.quietHours?.timeZone ?? deviceTimeZone();
      syncQuietInputs();
      const kinds = KINDS.map(({ kind, label }) => `${label}: ${stored.kinds[kind] ? "on" : "off"}`);
      const quiet = stored.quietHours
        ? `Quiet hours: ${stored.quietHours.start}–${stored.quietHours.end}, ${stored.quietHours.timeZone}`
        : "Quiet hours: none";
      $("stored-preferences").textContent = [...kinds, quiet].join(" · ");
    };
    const save = $<HTMLButtonElement>("save-preferences");
    $("preferences-error").hidden = true;
    $("stored-preferences").textContent = "…";
    save.disabled = true;
    // What is stored now (a user who never set any: every kind on, no quiet hours).
    preferences
      .current(user.uid)
      .then((stored) => active && show(stored))
      .catch((error: unknown) => active && showError("preferences", error))
      .finally(() => (save.disabled = false));

    input("quiet-off").onchange = syncQuietInputs;
    input("quiet-on").onchange = syncQuietInputs;
    form.onsubmit = (event) => {
      event.preventDefault();
      save.disabled = true;
      $("preferences-error").hidden = true;
      const kinds = Object.fromEntries(KINDS.map(({ kind }) => [kind, input(`kind-${kind}`).checked]));
      const quietHours = input("quiet-on").checked
        ? {
            start: input("quiet-start").value,
            end: input("quiet-end").value,
            timeZone: input("quiet-zone").value.trim(),
          }
        : null;
      // The callable merges the change into what is stored and answers with all of it; bad input
      // (start equal to end, an unknown zone) is refused with invalid-argument and changes nothing.
      preferences
        .set({ kinds, quietHours })
        .then((stored) => active && show(stored))
        .catch((error: unknown) => active && showError("preferences", error))
        .finally(() => (save.disabled = false));
    };
    return () => {
      active = false;
      form.onsubmit = null;
    };
  }

  function watchPost(user: User): Unsubscribe {
    return onSnapshot(
      doc(db, "posts", postId),
      (snapshot) => {
        const title = snapshot.get("title") as string | undefined;
        const mine = snapshot.get("authorId") === user.uid ? " (your post)" : "";
        $("post-title").textContent = title ? `${title}${mine}` : `No post "${postId}" (npm start seeds one)`;
      },
      (error) => showError("comment", error),
    );
  }

  const names = new Map<string, Promise<string>>();
  const nameOf = (uid: string) => {
    let name = names.get(uid);
    if (!name) {
      name = getDoc(doc(db, "users", uid)).then(
        (snapshot) => (snapshot.get("displayName") as string | undefined) ?? uid,
        () => uid,
      );
      names.set(uid, name);
    }
    return name;
  };

  function watchComments(): Unsubscribe {
    const comments = query(collection(db, "posts", postId, "comments"), orderBy("createdAt"), limit(50));
    return onSnapshot(
      comments,
      (snapshot) => {
        const list = $("comments");
        list.replaceChildren(
          ...snapshot.docs.map((comment) => {
            const li = el("li", "comment");
            const author = el("span", "author", "…");
            void nameOf(String(comment.get("authorId"))).then((name) => (author.textContent = name));
            li.append(author, document.createTextNode(String(comment.get("text"))));
            return li;
          }),
        );
      },
      (error) => showError("comment", error),
    );
  }

  // --- Pushes to this browser ------------------------------------------------------------------------
  function followPushes(): () => void {
    const list = $("pushes");
    list.replaceChildren();
    const seen = new Set<string>();
    const show = (item: ForegroundPush, atTop: boolean) => {
      // A silent badge update (data.type "badge", after this user read items somewhere) is never shown:
      // the bell above already follows the count.
      if (!isShownPush(item.data)) return;
      const key = `${item.at}|${item.title ?? ""}|${item.body ?? ""}`;
      if (seen.has(key)) return;
      seen.add(key);
      const li = el("li", "push");
      // Sent during this user's quiet hours: a phone would show it without a sound (data.quiet).
      const quiet = isQuietPush(item.data);
      if (quiet) li.classList.add("quiet");
      // A tap goes where the push's data.type says (clients/web/pushRoute.ts); this demo has only posts.
      const route = routeOf(item.data);
      li.dataset.screen = route.screen;
      if (route.screen === "post" && route.postId !== postId) {
        li.title = "Open this post";
        li.onclick = () => (location.search = `?post=${encodeURIComponent(route.postId)}`);
      }
      const title = el("div", "title", item.title ?? "(no title)");
      if (quiet) title.append(el("span", "badge", "silent: quiet hours"));
      li.append(
        title,
        el("div", "body", item.body ?? ""),
        el("div", "time", new Date(item.at).toLocaleTimeString()),
      );
      if (atTop) list.prepend(li);
      else list.append(li);
      $("no-pushes").hidden = true;
    };
    const stop = push.onForegroundPush((item) => show(item, true));
    push.pushesSoFar().then(
      (items) => items.forEach((item) => show(item, false)),
      (error: unknown) => showError("device", error),
    );
    return stop;
  }

  function showError(where: "sign-in" | "device" | "comment" | "preferences" | "feed", error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (where === "feed") {
      $("feed-error").textContent = message;
      $("feed-error").hidden = false;
    } else if (where === "preferences") {
      // invalid-argument's message names every problem, e.g. "quietHours.end: start and end must differ".
      $("preferences-error").textContent = message;
      $("preferences-error").hidden = false;
    } else if (where === "comment") {
      $("comment-error").textContent = message;
      $("comment-error").hidden = false;
    } else if (where === "device") {
      $("device-state").textContent = `Could not register this browser: ${message}`;
    } else {
      $("sign-in-error").textContent = `Could not sign in: ${message}`;
      $("sign-in-error").hidden = false;
    }
  }
}

void main();
