/** Telling a kind that one of its deliveries ended (`PushKind.ended`), wherever it ended. */
import { log } from "../log";
import type { DeliveryIds } from "../log/push";
import type { EndedDelivery, PushKind } from "./kind";
import type { TasksFinished } from "./store/deliveryDocs";

export async function tellEnded<Content>(
  kind: PushKind<Content>,
  content: Content,
  ended: EndedDelivery,
  ids: DeliveryIds,
): Promise<void> {
  if (!kind.ended) return;
  try {
    await kind.ended(content, ended);
  } catch (error) {
    log.pushFinishFailed({ ...ids, error });
  }
}

/** How a delivery through tasks ended, as its kind is told. */
export function endedThroughTasks(finished: TasksFinished): EndedDelivery {
  const { status, counts, slices, slicesFailed } = finished;
  return {
    status,
    counts,
    ...(slicesFailed > 0 ? { error: `${slicesFailed} of ${slices} slices failed` } : {}),
  };
}
