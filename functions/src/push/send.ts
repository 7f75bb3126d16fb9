/**
 * The one send path, of a direct delivery and of every slice (docs/delivery.md, "Send" and "Learn"):
 * render, deliver (classification, retries, the mass-rejection guard), mark rejected tokens, decide.
 */
import { errorText } from "../shared/errorText";
import type { ActiveDevice } from "../devices/deviceDoc";
import type { DeviceStore } from "../devices/deviceStore";
import { log } from "../log";
import { applyCredentialBreaker, type CredentialBreaker } from "./breaker";
import { deliverStream, type DeliveryReport } from "./domain/deliver";
import { silenced } from "./domain/quiet";
import { withBadge } from "./domain/badge";
import { fedPages, type FeedWriter } from "./feed";
import { quietAt } from "../notifications/quietHours";
import type { AudiencePage } from "./audience";
import type { SendClock } from "./deps";
import { idsOf, type Delivery } from "./kind";
import type { DeliveryIds } from "../log/push";
import type { SliceCounts } from "./store/deliveryDocs";

/** What `sendPush` needs: the sender and its clock, and the store that marks rejected tokens. */
export type SendDeps = SendClock & {
  devices: Pick<DeviceStore, "markRejected">;
  /** The project-wide credential breaker (breaker.ts); without it only the per-send guard applies. */
  breaker?: CredentialBreaker | undefined;
  /** Every message's TTL (domain/message.ts); its default when absent. */
  ttlSeconds?: number | undefined;
  /** Where each recipient's feed item and unread count are written (feed.ts); without it, no feed, no badges. */
  feed?: FeedWriter | undefined;
};

/** How one send of composed messages went (a direct delivery, or one slice). */
export type SendOutcome = {
  status: "done" | "failed";
  /** `recipients`: those read from an audience stream (0 for a slice, whose delivery knows them). */
  counts: SliceCounts & { recipients?: number };
  massRejectionGuardTripped: boolean;
  /** Why it failed, for the delivery's (or slice's) `error`. */
  error?: string | undefined;
};

/**
 * Render one message per device (the kind's `render`; silent when its recipient is in quiet hours as the
 * page's messages are made: domain/quiet.ts), send them as they come
 * (`deliverStream`: classification, retries, the mass-rejection guard), mark the tokens FCM rejected, and
 * decide the status: `done` when every message was accepted or its token rejected, `failed` when any
 * message failed or the guard tripped. `devices` is a slice's page (its recipients not counted: the
 * delivery knows them), or a direct delivery's audience as it is read (audience.ts); an error reading it after sending began fails the send with what was counted.
 * An error while marking rejected tokens fails the send (its counts kept) rather than throwing: the
 * messages are out by then.
 */
export async function sendPush<Content>(
  delivery: Delivery<Content>,
  content: Content,
  devices: AudiencePage | AsyncIterable<AudiencePage>,
  deps: SendDeps,
): Promise<SendOutcome> {
  const ids = idsOf(delivery);
  const { kind } = delivery;
  const seen = { recipients: 0, tokens: 0 };
  const options = { ttlSeconds: deps.ttlSeconds };
  const wallClock = deps.wallClock ?? Date.now;
  /**
   * The page's messages, each with its recipient's badge, and silent when their quiet hours hold now (as
   * the page is sent).
   */
  const composed = (page: AudiencePage, badges: ReadonlyMap<string, number> | undefined) => {
    const quiet = page.quietHours && page.quietHours.size > 0 ? page.quietHours : undefined;
    const isQuiet = quiet ? quietAt(wallClock()) : undefined;
    return page.devices.map((device: ActiveDevice) => {
      const rendered = kind.render(content, device, options);
      const badge = badges?.get(device.uid);
      const message = badge === undefined ? rendered : withBadge(rendered, badge);
      const hours = quiet?.get(device.uid);
      return {
        deviceId: device.deviceId,
        ref: device,
        message: hours && isQuiet?.(hours) ? silenced(message) : message,
      };
    });
  };
  // A slice's one page: its recipients are its delivery's, counted there.
  const slice = !(Symbol.asyncIterator in devices);
  const pages = fedPages(delivery, content, slice ? [devices] : devices, deps.feed, {
    ttlDays: deps.feedTtlDays,
    nowMs: wallClock,
    options,
  });
  async function* messagePages() {
    for await (const { page, badges } of pages) {
      if (!slice) seen.recipients += page.recipients.length;
      seen.tokens += page.devices.length;
      yield composed(page, badges);
    }
  }
  // Reading the audience may fail after sending began: what went out is counted, the rest is not reached.
  const { sourceError: readError, ...delivered } = await deliverStream(messagePages(), {
    sender: deps.sender,
    sleep: deps.sleep,
    random: deps.random,
    now: deps.now,
    policy: deps.policy,
    // A kind's render sets its collapse keys unless it says otherwise: a second copy replaces the first.
    collapseSafe: kind.collapseSafe ?? true,
  });
  const report = deps.breaker
    ? await applyCredentialBreaker(delivery.id, delivered, seen.tokens, deps.breaker)
    : delivered;
  const counts: SliceCounts & { recipients: number } = {
    recipients: seen.recipients,
    tokens: seen.tokens,
    sent: report.sent,
    failed: report.failed,
    rejected: report.rejected.length,
    retries: report.retries,
  };
  if (report.massRejectionGuardTripped) {
    log.massRejectionGuardTripped({
      ...ids,
      tokens: counts.tokens,
      guarded: report.failures["mismatch-guarded"]?.count ?? 0,
    });
  }
  if (report.failed > 0) log.pushSendFailures({ ...ids, failures: report.failures });
  const status =
    report.massRejectionGuardTripped || report.failed > 0 || readError !== undefined ? "failed" : "done";
  const outcome: SendOutcome = {
    status,
    counts,
    massRejectionGuardTripped: report.massRejectionGuardTripped,
    ...(readError !== undefined
      ? { error: `reading the audience failed while sending: ${errorText(readError)}` }
      : status === "failed"
        ? { error: failureSummary(report) }
        : {}),
  };
  try {
    await markRejected(ids, report, deps.devices);
  } catch (error) {
    log.pushFinishFailed({ ...ids, error });
    return { ...outcome, status: "failed", error: errorText(error) };
  }
  return outcome;
}

/** Marks the tokens FCM refused for good, each only if its owner's devices are unchanged since they were read. */
async function markRejected(
  ids: DeliveryIds,
  report: DeliveryReport,
  devices: SendDeps["devices"],
): Promise<void> {
  if (report.rejected.length === 0) return;
  const result = await devices.markRejected(
    report.rejected.map(({ deviceId, code, ref }) => {
      const device = ref as ActiveDevice;
      return { deviceId, uid: device.uid, code, updateTime: device.updateTime };
    }),
  );
  const byCode: Record<string, number> = {};
  for (const { code } of report.rejected) byCode[code] = (byCode[code] ?? 0) + 1;
  log.devicesMarkedRejected({ ...ids, ...result, byCode });
  if (result.failed > 0) log.devicesMarkFailed({ ...ids, failed: result.failed, samples: result.failures });
}

/** One line for the delivery's `error`: why it failed, by reason. */
function failureSummary(report: DeliveryReport): string {
  const reasons = Object.entries(report.failures).map(([reason, entry]) => `${reason} ×${entry?.count ?? 0}`);
  const guard = report.massRejectionGuardTripped
    ? "mass-rejection guard tripped (most answers mismatched-credential): no token marked; "
    : "";
  return `${guard}${report.failed} of ${report.failed + report.sent + report.rejected.length} messages failed: ${reasons.join(", ")}`;
}
