// The push inbox's script, inlined into GET / by fcm-emulator/src/inbox.ts. Plain browser JavaScript, no
// library: it lists the attempt log a page at a time (the log holds up to 100,000 attempts; the page
// keeps at most MAX_CARDS cards), follows new attempts over server-sent events, and drives the emulator's
// own control API for clearing and for faults. Everything shown is text (textContent), never HTML.
"use strict";
(() => {
  const PAGE_SIZE = 100;
  /** Cards kept on the page: older ones leave the page (not the log) as new ones arrive. */
  const MAX_CARDS = 300;
  const $ = (id) => document.getElementById(id);
  const list = $("list");
  const older = $("older");
  const empty = $("empty");
  const counts = $("counts");
  const connection = $("connection");
  const filterInputs = { token: $("filter-token"), postId: $("filter-post"), status: $("filter-status") };

  const state = {
    /** seq of the oldest card shown, or null when there is nothing older to show. */
    olderCursor: null,
    matched: 0,
    dropped: 0,
    projects: new Set(),
    /** Bumped whenever the list is reloaded, so late answers of an earlier load are ignored. */
    generation: 0,
    /**
     * Attempts that arrived live while the newest reload was on its way: its answer may predate them, and
     * replacing the cards with it must not lose them.
     */
    arrivedDuringReload: null,
    events: null,
    reconnectTimer: null,
  };

  // --- Filters ------------------------------------------------------------------------------------------

  function currentFilter() {
    const filter = {};
    for (const [key, input] of Object.entries(filterInputs)) {
      const value = input.value.trim();
      if (value) filter[key] = value;
    }
    return filter;
  }

  function query(extra) {
    const params = new URLSearchParams({ ...currentFilter(), ...extra });
    const text = params.toString();
    return text ? `?${text}` : "";
  }

  function restoreFilterFromAddress() {
    const params = new URLSearchParams(location.search);
    for (const [key, input] of Object.entries(filterInputs)) {
      const value = params.get(key);
      if (value) input.value = value;
    }
  }

  function filterChanged() {
    history.replaceState(null, "", `${location.pathname}${query({})}`);
    void reload();
    connect();
  }

  let typing = null;
  for (const input of Object.values(filterInputs)) {
    input.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(filterChanged, 250);
    });
  }

  function setFilter(key, value) {
    filterInputs[key].value = value;
    filterChanged();
  }

  // --- Cards -----------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function pick(object, ...path) {
    let value = object;
    for (const key of path) {
      if (value === null || typeof value !== "object") return undefined;
      value = value[key];
    }
    return value;
  }

  /** The first of the message's own, Android, APNs and Web notification fields. */
  function shown(message, field) {
    const candidates = [
      pick(message, "notification", field),
      pick(message, "android", "notification", field),
      pick(message, "apns", "payload", "aps", "alert", field),
      pick(message, "webpush", "notification", field),
    ];
    return candidates.find((value) => typeof value === "string");
  }

  /** The platform blocks a message carried, as [platform, [[label, value], ...]]. */
  function platformBlocks(message) {
    const blocks = [];
    const android = pick(message, "android");
    if (android && typeof android === "object") {
      const n = android.notification || {};
      blocks.push([
        "Android",
        [
          ["channel", n.channel_id ?? n.channelId],
          ["tag", n.tag],
          ["priority", android.priority],
          ["collapse", android.collapse_key ?? android.collapseKey],
        ],
      ]);
    }
    const apns = pick(message, "apns");
    if (apns && typeof apns === "object") {
      blocks.push([
        "APNs",
        [
          ["thread-id", pick(apns, "payload", "aps", "thread-id")],
          ["category", pick(apns, "payload", "aps", "category")],
        ],
      ]);
    }
    const webpush = pick(message, "webpush");
    if (webpush && typeof webpush === "object") {
      const options = webpush.fcm_options ?? webpush.fcmOptions ?? {};
      blocks.push(["Web", [["link", options.link]]]);
    }
    return blocks;
  }

  function chips(entries, onClick) {
    const ul = el("ul", "chips");
    for (const [key, value] of entries) {
      if (value === undefined || value === null) continue;
      const li = el("li");
      if (value === "") {
        // A heading chip: the platform whose fields follow.
        li.className = "heading";
        li.textContent = key;
        ul.append(li);
        continue;
      }
      li.append(el("span", "key", `${key} `));
      if (onClick && onClick[key]) {
        const button = el("button", "link", String(value));
        button.type = "button";
        button.title = `Show only ${key} ${value}`;
        button.addEventListener("click", () => onClick[key](String(value)));
        li.append(button);
      } else {
        li.append(el("span", "value", String(value)));
      }
      ul.append(li);
    }
    return ul;
  }

  function timeOf(iso) {
    const date = new Date(iso);
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }

  function card(attempt, fresh) {
    const message = attempt.message ?? {};
    const li = el("li", `card ${attempt.outcome}${fresh ? " fresh" : ""}`);
    li.dataset.seq = String(attempt.seq);
    li.dataset.outcome = attempt.outcome;
    li.dataset.status = attempt.status;

    const head = el("div", "card-head");
    const outcome =
      attempt.outcome === "accepted"
        ? "accepted"
        : `${attempt.status}${attempt.httpStatus ? ` · ${attempt.httpStatus}` : ""}`;
    head.append(el("span", "badge outcome", outcome));
    if (attempt.dryRun) head.append(el("span", "badge dry", "dry run"));
    for (const [platform] of platformBlocks(message)) head.append(el("span", "badge platform", platform));
    const to = attempt.tokenTail
      ? `to …${attempt.tokenTail}`
      : attempt.topic
        ? `topic ${attempt.topic}`
        : attempt.condition
          ? "condition"
          : "no target";
    head.append(el("span", "to", to));
    head.append(el("span", "project", attempt.project));
    const time = el("time", "time", timeOf(attempt.at));
    time.dateTime = attempt.at;
    time.title = attempt.at;
    head.append(time);
    li.append(head);

    const title = shown(message, "title");
    const body = shown(message, "body");
    if (title !== undefined) li.append(el("p", "title", title));
    if (body !== undefined) li.append(el("p", "body", body));
    if (title === undefined && body === undefined && attempt.outcome === "accepted") {
      li.append(el("p", "body", "(data only: no notification)"));
    }
    if (attempt.error) li.append(el("p", "error", attempt.error));

    const data = pick(message, "data");
    const filters = {
      postId: (value) => setFilter("postId", value),
      token: (value) => setFilter("token", value),
    };
    if (attempt.tokenTail) li.append(chips([["token", attempt.tokenTail]], filters));
    if (data && typeof data === "object") li.append(chips(Object.entries(data), filters));
    for (const [platform, fields] of platformBlocks(message)) {
      li.append(
        chips([[platform, ""], ...fields.filter(([, value]) => value !== undefined && value !== "")]),
      );
    }

    const whole = el("details", "whole");
    whole.append(el("summary", "", "Full message"));
    const pre = el("pre");
    whole.addEventListener("toggle", () => {
      // Built on first open: 100 cards' JSON would cost more than the cards themselves.
      if (whole.open && !pre.textContent) {
        pre.textContent = JSON.stringify(
          { name: attempt.name, message: attempt.message ?? "(not JSON)" },
          null,
          2,
        );
      }
    });
    whole.append(pre);
    li.append(whole);
    return li;
  }

  // --- List ---------------------------------------------------------------------------------------------

  function showCounts() {
    const shownCards = list.children.length;
    const filtered = Object.keys(currentFilter()).length > 0;
    const noun = state.matched === 1 ? "attempt" : "attempts";
    let text = `${state.matched.toLocaleString("en")} ${filtered ? "matching " : ""}${noun}`;
    if (shownCards < state.matched) text += `, ${shownCards.toLocaleString("en")} shown`;
    if (state.dropped > 0) text += ` (${state.dropped.toLocaleString("en")} older ones let go)`;
    counts.textContent = text;
    empty.hidden = state.matched > 0 || shownCards > 0;
    older.hidden = state.olderCursor === null;
  }

  async function fetchPage(before) {
    const extra = { limit: String(PAGE_SIZE) };
    if (before !== undefined) extra.before = String(before);
    const response = await fetch(`/emulator/v1/attempts${query(extra)}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function notePage(page) {
    state.matched = page.matched;
    state.dropped = page.dropped;
    page.projects.forEach((project) => state.projects.add(project));
    state.olderCursor = page.nextBefore ?? null;
  }

  async function reload() {
    const generation = ++state.generation;
    const arrivedMeanwhile = [];
    state.arrivedDuringReload = arrivedMeanwhile;
    try {
      const page = await fetchPage();
      if (generation !== state.generation) return;
      state.arrivedDuringReload = null;
      list.replaceChildren(...page.attempts.map((attempt) => card(attempt, false)));
      state.projects = new Set();
      notePage(page);
      // Those the answer already has are skipped by seq; the others are newer than it, and go on top.
      arrivedMeanwhile.forEach(show);
      showCounts();
    } catch {
      if (generation !== state.generation) return;
      state.arrivedDuringReload = null;
      setConnection("down", "emulator unreachable, retrying…");
    }
  }

  older.addEventListener("click", async () => {
    if (state.olderCursor === null) return;
    const generation = state.generation;
    older.disabled = true;
    try {
      const page = await fetchPage(state.olderCursor);
      if (generation !== state.generation) return;
      const known = new Set([...list.children].map((node) => node.dataset.seq));
      list.append(...page.attempts.filter((a) => !known.has(String(a.seq))).map((a) => card(a, false)));
      notePage(page);
      showCounts();
    } finally {
      older.disabled = false;
    }
  });

  function arrived(attempt) {
    state.arrivedDuringReload?.push(attempt);
    show(attempt);
  }

  /** Puts a new attempt on top of the list, unless it is there already. */
  function show(attempt) {
    if (list.querySelector(`[data-seq="${attempt.seq}"]`)) return;
    list.prepend(card(attempt, true));
    state.matched += 1;
    state.projects.add(attempt.project);
    while (list.children.length > MAX_CARDS) {
      list.lastElementChild.remove();
      state.olderCursor = Number(list.lastElementChild.dataset.seq);
    }
    showCounts();
  }

  // --- Live updates ---------------------------------------------------------------------------------------

  function setConnection(stateName, text) {
    connection.dataset.state = stateName;
    connection.textContent = text;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    if (state.events) state.events.close();
    const events = new EventSource(`/emulator/v1/events${query({})}`);
    state.events = events;
    events.addEventListener("open", () => {
      setConnection("live", "live");
      // Whatever happened while the stream was down (the emulator restarted, say) shows up now.
      void reload();
    });
    events.addEventListener("attempt", (event) => arrived(JSON.parse(event.data)));
    events.addEventListener("cleared", () => void reload());
    events.addEventListener("faults", (event) => showFault(JSON.parse(event.data)));
    events.addEventListener("error", () => {
      if (state.events !== events) return;
      setConnection("down", "disconnected, reconnecting…");
      if (events.readyState === EventSource.CLOSED) {
        // The browser gave up on this stream (it does after some answers): start a new one.
        state.reconnectTimer = setTimeout(connect, 1000);
      }
    });
  }

  // --- Clear ------------------------------------------------------------------------------------------

  $("clear").addEventListener("click", async () => {
    const page = await fetchPage().catch(() => null);
    page?.projects.forEach((project) => state.projects.add(project));
    await Promise.all(
      [...state.projects].map((project) =>
        fetch(`/emulator/v1/projects/${encodeURIComponent(project)}/messages`, { method: "DELETE" }),
      ),
    );
    await reload();
  });

  // --- Faults ---------------------------------------------------------------------------------------

  const faultState = $("fault-state");
  const faultError = $("fault-error");

  function showFault(fault) {
    const armed = fault && fault.fault;
    const connection = fault && fault.connection;
    faultState.classList.toggle("armed", Boolean(armed || connection));
    if (!armed && connection) {
      // An HTTP/2 connection fault: it strikes the next HTTP/2 connection.
      const what = connection.kind === "goaway" ? `GOAWAY (code ${connection.code})` : "connection reset";
      faultState.textContent = `${what} after ${connection.afterStreams} streams of the next HTTP/2 connection`;
      return;
    }
    if (!armed) {
      faultState.textContent = "off";
      return;
    }
    const what = armed.kind === "reset" ? "connection reset" : String(armed.status);
    const retry = armed.retryAfterSeconds === undefined ? "" : `, Retry-After ${armed.retryAfterSeconds} s`;
    const every = fault.every ? ` (1 in ${fault.every})` : "";
    faultState.textContent = `${what} for the next ${fault.remaining} send${fault.remaining === 1 ? "" : "s"}${retry}${every}`;
  }

  async function faultRequest(method, body) {
    faultError.hidden = true;
    const response = await fetch("/emulator/v1/faults", {
      method,
      headers: { "Content-Type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const answer = await response.json();
    if (!response.ok) {
      faultError.textContent = answer?.error?.message ?? `HTTP ${response.status}`;
      faultError.hidden = false;
      return;
    }
    showFault(answer);
  }

  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const retry = $("fault-retry").value.trim();
    void faultRequest("PUT", {
      status: Number($("fault-status").value),
      count: Number($("fault-count").value),
      ...(retry === "" ? {} : { retryAfterSeconds: Number(retry) }),
    });
  });
  $("fault-off").addEventListener("click", () => void faultRequest("DELETE"));

  // --- Start ----------------------------------------------------------------------------------------

  restoreFilterFromAddress();
  connect();
})();
