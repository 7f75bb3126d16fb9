/**
 * The credential breaker applied to one send's report (docs/delivery.md, "The credential breaker"): the
 * send's answers are counted into the project-wide window, and when the send has sender-id mismatches to
 * mark, they are marked only if the breaker is closed. Open, or unreadable: they count `failed`
 * ("mismatch-guarded"), no token is touched, and the send fails loudly, as the per-delivery guard does.
 */
import { log } from "../log";
import { errorText } from "../shared/errorText";
import { breakerOpen, type BreakerCounts, type BreakerSettings } from "./domain/breaker";
import type { DeliveryReport } from "./domain/deliver";

export type CredentialBreaker = {
  settings: BreakerSettings;
  count(nowMs: number, counts: BreakerCounts): Promise<void>;
  read(nowMs: number): Promise<BreakerCounts>;
  /** Wall time, ms since the epoch. */
  now(): number;
};

/** `mismatched-credential` answers in a report (marked, guarded, or PERMISSION_DENIED). */
export function mismatchesIn(report: DeliveryReport): number {
  const rejected = report.rejected.filter((r) => r.reason === "sender-id-mismatch").length;
  return (
    rejected +
    (report.failures["mismatch-guarded"]?.count ?? 0) +
    (report.failures["permission-denied"]?.count ?? 0)
  );
}

export async function applyCredentialBreaker(
  eventId: string,
  report: DeliveryReport,
  answers: number,
  breaker: CredentialBreaker,
): Promise<DeliveryReport> {
  // A send the per-delivery guard tripped on has failed loudly and marked no mismatch already: it stays out
  // of the window, so a big broken delivery neither opens the breaker for the healthy sends that follow
  // nor dilutes the small ones it is there to judge.
  if (report.massRejectionGuardTripped) return report;
  const now = breaker.now();
  const mismatches = mismatchesIn(report);
  const counting = breaker.count(now, { answers, mismatches }).catch((error: unknown) => {
    log.credentialBreakerFailed({ eventId, error: errorText(error) });
  });
  const toMark = report.rejected.filter((r) => r.reason === "sender-id-mismatch");
  if (toMark.length === 0) {
    await counting;
    return report;
  }
  await counting;
  let open: boolean;
  let seen: BreakerCounts = { answers: 0, mismatches: 0 };
  try {
    seen = await breaker.read(now);
    open = breakerOpen(seen, breaker.settings);
  } catch (error) {
    log.credentialBreakerFailed({ eventId, error: errorText(error) });
    open = true;
  }
  if (!open) return report;
  if (seen.answers > 0) {
    log.credentialBreakerOpen({
      eventId,
      ...seen,
      windowStart: new Date(now - (now % breaker.settings.windowMs)).toISOString(),
    });
  }
  const guarded = report.failures["mismatch-guarded"];
  const example = toMark[0]
    ? `${toMark[0].code}: sender-id mismatch while the credential breaker is open`
    : "";
  return {
    ...report,
    rejected: report.rejected.filter((r) => r.reason !== "sender-id-mismatch"),
    failed: report.failed + toMark.length,
    failures: {
      ...report.failures,
      "mismatch-guarded": {
        count: (guarded?.count ?? 0) + toMark.length,
        example: guarded?.example ?? example,
      },
    },
    massRejectionGuardTripped: true,
  };
}
