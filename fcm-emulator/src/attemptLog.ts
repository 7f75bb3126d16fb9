/**
 * Every send attempt the emulator answered, accepted or rejected, newest last: what the push inbox
 * (`GET /`) lists and streams. The message log (messageLog.ts) stays the API's record of accepted
 * messages; this one is for people looking at pushes, so it never hands out a whole token: an attempt
 * carries the token's last 6 characters, and its message has the token replaced by them. The whole token
 * is kept inside, only to match a filter against.
 *
 * Bounded like the message log: a full log overwrites its oldest attempt.
 */
import { DEFAULT_LOG_CAPACITY } from "./messageLog";
import { isObject } from "./validate";

/** One send attempt as the inbox shows it. */
export interface Attempt {
  /** Rises by one per attempt, across projects: the inbox pages and dedups by it. */
  seq: number;
  /** ISO 8601 time the emulator answered. */
  at: string;
  project: string;
  outcome: "accepted" | "rejected";
  /** HTTP status of the answer; 0 when the connection was reset instead (a fault). */
  httpStatus: number;
  /** "OK" when accepted; else FCM's error code as answered (UNREGISTERED, QUOTA_EXCEEDED, ...). */
  status: string;
  /** The error message answered, for rejected attempts. */
  error?: string;
  /** A `validate_only` request: checked, not delivered. */
  dryRun?: boolean;
  /** `projects/{p}/messages/{id}` for accepted messages. */
  name?: string;
  /** The token's last 6 characters, when the message had a token. */
  tokenTail?: string;
  topic?: string;
  condition?: string;
  /** The FCM v1 message as sent, with its token cut to the tail; absent when the body was not JSON. */
  message?: unknown;
}

/** What a caller reports; the log numbers, redacts and stamps it. */
export interface AttemptReport {
  project: string;
  outcome: Attempt["outcome"];
  httpStatus: number;
  status: string;
  error?: string;
  dryRun?: boolean;
  name?: string;
  /** The request's `message`, whole (token included) if it could be read. */
  message?: unknown;
}

/** Which attempts to show. Every given field must match. */
export interface AttemptFilter {
  /** Part of the token (usually its tail, or the whole token for a client that knows its own). */
  token?: string;
  /** `data.postId` of the message, exactly. */
  postId?: string;
  /** "accepted", "rejected", or one status such as "UNREGISTERED". */
  status?: string;
  project?: string;
}

export interface AttemptPage {
  /** Newest first. */
  attempts: Attempt[];
  /** How many attempts match the filter, all pages together. */
  matched: number;
  /** How many attempts the log keeps. */
  total: number;
  /** Attempts let go because the log was full. */
  dropped: number;
  /** Projects with attempts in the log. */
  projects: string[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextBefore?: number;
}

interface Stored {
  attempt: Attempt;
  token: string | undefined;
  postId: string | undefined;
}

export type AttemptEvent = { type: "attempt"; attempt: Attempt } | { type: "cleared"; project: string };

export const TOKEN_TAIL_LENGTH = 6;
export const MAX_PAGE_SIZE = 500;

export function tokenTail(token: string): string {
  return token.slice(-TOKEN_TAIL_LENGTH);
}

export class AttemptLog {
  private readonly entries: Stored[] = [];
  /** Index of the oldest entry once the ring is full. */
  private oldest = 0;
  private nextSeq = 1;
  private droppedCount = 0;
  private readonly listeners = new Set<(event: AttemptEvent) => void>();

  constructor(private readonly capacity = DEFAULT_LOG_CAPACITY) {}

  record(report: AttemptReport, at = new Date()): Attempt {
    const whole = isObject(report.message) ? report.message : undefined;
    const token = typeof whole?.token === "string" ? whole.token : undefined;
    const data = whole && isObject(whole.data) ? whole.data : undefined;
    const attempt: Attempt = {
      seq: this.nextSeq++,
      at: at.toISOString(),
      project: report.project,
      outcome: report.outcome,
      httpStatus: report.httpStatus,
      status: report.status,
      ...(report.error === undefined ? {} : { error: report.error }),
      ...(report.dryRun ? { dryRun: true } : {}),
      ...(report.name === undefined ? {} : { name: report.name }),
      ...(token === undefined ? {} : { tokenTail: tokenTail(token) }),
      ...(typeof whole?.topic === "string" ? { topic: whole.topic } : {}),
      ...(typeof whole?.condition === "string" ? { condition: whole.condition } : {}),
      ...(report.message === undefined
        ? {}
        : { message: token === undefined ? report.message : { ...whole, token: `…${tokenTail(token)}` } }),
    };
    const stored: Stored = {
      attempt,
      token,
      postId: typeof data?.postId === "string" ? data.postId : undefined,
    };
    if (this.entries.length < this.capacity) {
      this.entries.push(stored);
    } else {
      this.entries[this.oldest] = stored;
      this.oldest = (this.oldest + 1) % this.capacity;
      this.droppedCount += 1;
    }
    this.emit({ type: "attempt", attempt });
    return attempt;
  }

  /** Whether `attempt` (just recorded) matches `filter`; for live streams that filter as the page does. */
  matches(seq: number, filter: AttemptFilter): boolean {
    const stored = this.find(seq);
    return stored !== undefined && storedMatches(stored, filter);
  }

  /** Newest first: up to `limit` attempts matching `filter` older than `before` (a seq). */
  page(filter: AttemptFilter, options: { before?: number; limit?: number } = {}): AttemptPage {
    const limit = Math.min(Math.max(1, options.limit ?? 100), MAX_PAGE_SIZE);
    const before = options.before ?? Number.POSITIVE_INFINITY;
    const attempts: Attempt[] = [];
    const projects = new Set<string>();
    let matched = 0;
    let more = false;
    for (let i = this.entries.length - 1; i >= 0; i -= 1) {
      const stored = this.at(i);
      projects.add(stored.attempt.project);
      if (!storedMatches(stored, filter)) continue;
      matched += 1;
      if (stored.attempt.seq >= before) continue;
      if (attempts.length < limit) attempts.push(stored.attempt);
      else more = true;
    }
    const last = attempts[attempts.length - 1];
    return {
      attempts,
      matched,
      total: this.entries.length,
      dropped: this.droppedCount,
      projects: [...projects].sort(),
      ...(more && last ? { nextBefore: last.seq } : {}),
    };
  }

  /** Forgets one project's attempts (with `DELETE …/projects/{p}/messages`). */
  clear(project: string): void {
    const kept = this.inOrder().filter((stored) => stored.attempt.project !== project);
    this.entries.length = 0;
    this.entries.push(...kept);
    this.oldest = 0;
    if (kept.length === 0) this.droppedCount = 0;
    this.emit({ type: "cleared", project });
  }

  subscribe(listener: (event: AttemptEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: AttemptEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The i-th entry in arrival order (0 = oldest kept). */
  private at(i: number): Stored {
    return this.entries[(this.oldest + i) % this.entries.length] as Stored;
  }

  private inOrder(): Stored[] {
    return [...this.entries.slice(this.oldest), ...this.entries.slice(0, this.oldest)];
  }

  private find(seq: number): Stored | undefined {
    // Recent attempts are at the end; a live stream asks about the newest.
    for (let i = this.entries.length - 1; i >= 0; i -= 1) {
      const stored = this.at(i);
      if (stored.attempt.seq === seq) return stored;
      if (stored.attempt.seq < seq) return undefined;
    }
    return undefined;
  }
}

function storedMatches(stored: Stored, filter: AttemptFilter): boolean {
  const { attempt } = stored;
  if (filter.project && attempt.project !== filter.project) return false;
  if (filter.postId && stored.postId !== filter.postId) return false;
  if (filter.token && !(stored.token ?? "").includes(filter.token)) return false;
  if (filter.status) {
    const wanted = filter.status;
    if (wanted === "accepted" || wanted === "rejected") return attempt.outcome === wanted;
    return attempt.status === wanted;
  }
  return true;
}
