/**
 * The messages the emulator accepted, per project, in arrival order. Bounded: a long benchmark or a busy
 * `npm start` session keeps only the newest `capacity` messages and counts the ones it let go.
 */

export interface LoggedMessage {
  /** `projects/{projectId}/messages/{id}`, as answered to the sender. */
  name: string;
  /** ISO 8601 time the emulator accepted the message. */
  receivedAt: string;
  /** The message as sent. */
  message: unknown;
  /** The transport the send request came over. */
  protocol: "h2" | "http/1.1";
}

export const DEFAULT_LOG_CAPACITY = 100_000;

/** A ring buffer: appending to a full log overwrites the oldest entry instead of growing. */
class ProjectLog {
  private readonly entries: LoggedMessage[] = [];
  private oldest = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  append(entry: LoggedMessage): void {
    if (this.entries.length < this.capacity) {
      this.entries.push(entry);
      return;
    }
    this.entries[this.oldest] = entry;
    this.oldest = (this.oldest + 1) % this.capacity;
    this.dropped += 1;
  }

  inArrivalOrder(): LoggedMessage[] {
    return [...this.entries.slice(this.oldest), ...this.entries.slice(0, this.oldest)];
  }
}

export class MessageLog {
  private readonly projects = new Map<string, ProjectLog>();

  constructor(private readonly capacity = DEFAULT_LOG_CAPACITY) {}

  append(projectId: string, entry: LoggedMessage): void {
    let log = this.projects.get(projectId);
    if (!log) {
      log = new ProjectLog(this.capacity);
      this.projects.set(projectId, log);
    }
    log.append(entry);
  }

  /** The kept messages, oldest first, and how many older ones were let go. */
  list(projectId: string): { messages: LoggedMessage[]; dropped: number } {
    const log = this.projects.get(projectId);
    return { messages: log?.inArrivalOrder() ?? [], dropped: log?.dropped ?? 0 };
  }

  clear(projectId: string): void {
    this.projects.delete(projectId);
  }
}
