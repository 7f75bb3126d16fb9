/**
 * The plan of one delivery (nothing is sent here): what a kind's planner read (its content, and its
 * audience as a stream of pages), made either a stream the send reads as it goes (direct), or, for an
 * audience above the task threshold, read and cut into slices (docs/delivery.md).
 */
import type { AudiencePage } from "./audience";
import { planSlices, type AudienceGroup, type AudienceSlice } from "./domain/slices";
import type { TaskFanOut } from "./deps";
import { firstReadOf, heldSince } from "./domain/heldDevices";

/** Everything the send needs, read; or why nothing is to be sent. */
export type Plan<Content> =
  | {
      kind: "direct";
      content: Content;
      /** The audience, its first page read already; the rest is read while the first batches go out. */
      audience: AsyncIterable<AudiencePage>;
      /** Its size, when it was read whole to be measured. */
      measured?: { recipients: number; tokens: number };
    }
  | {
      kind: "tasks";
      content: Content;
      recipients: number;
      audience: number;
      slices: (AudienceSlice & { content?: unknown })[];
      /** The first read of a device list: each slice sends only to devices listed before it (heldDevices.ts). */
      listedBefore?: number | undefined;
    }
  | Skip;

/** Why a delivery sends nothing, and how its record ends. */
export type Skip = { kind: "skip"; skip: string; status: "done" | "failed" };

/** What a kind's planner hands the engine: the content and the audience to plan, or why nothing is sent. */
export type KindPlan<Content> = { content: Content; audience: AudienceSource } | Skip;

/** A kind's plan made the engine's: its audience planned, or its skip as it is. */
export async function planOf<Content>(
  plan: KindPlan<Content>,
  tasks: TaskFanOut | undefined,
): Promise<Plan<Content>> {
  return "content" in plan ? planAudience(plan.content, plan.audience, tasks) : plan;
}

/**
 * An audience to plan: its pages as they are read (best `readAhead`, so reading overlaps planning and
 * sending), and an upper bound on its devices known beforehand.
 */
export type AudienceSource = { pages: AsyncIterable<AudiencePage>; maxDevices: number };

/**
 * The audience sent directly, as a stream, when it cannot exceed the task threshold; else read until it
 * does (then it is cut into slices, and only the slices' recipients and device counts are kept) or until it
 * ends (then the pages read are sent directly: at most `threshold` devices held).
 */
export async function planAudience<Content>(
  content: Content,
  source: AudienceSource,
  tasks: TaskFanOut | undefined,
): Promise<Extract<Plan<Content>, { kind: "direct" | "tasks" }>> {
  const held = heldPages(source.pages);
  const pages = held.pages[Symbol.asyncIterator]();
  if (!tasks || source.maxDevices <= tasks.threshold) {
    // The first page is read here, while a failure can still be retried; the rest as the send goes.
    const first = await pages.next();
    return { kind: "direct", content, audience: pagesOf(first.done ? [] : [first.value], pages) };
  }

  const read: AudiencePage[] = [];
  let devices = 0;
  for (;;) {
    const next = await pages.next();
    if (next.done) {
      const recipients = read.reduce((sum, page) => sum + page.recipients.length, 0);
      return { kind: "direct", content, audience: pagesOf(read), measured: { recipients, tokens: devices } };
    }
    read.push(next.value);
    devices += next.value.devices.length;
    if (devices > tasks.threshold) break;
  }

  const groups: AudienceGroup[] = [];
  let recipients = 0;
  const add = (page: AudiencePage) => {
    recipients += page.recipients.length;
    groups.push(...groupsOf(page));
  };
  read.forEach(add);
  read.length = 0;
  for (let next = await pages.next(); !next.done; next = await pages.next()) add(next.value);
  return {
    kind: "tasks",
    content,
    recipients,
    audience: groups.reduce((sum, group) => sum + group.devices, 0),
    slices: planSlices(groups),
    listedBefore: held.listedBefore(),
  };
}

/**
 * The pages with only the devices listed before the first read of a device list (heldDevices.ts), taken
 * from the first page that found any; `listedBefore` says it once a page has.
 */
function heldPages(source: AsyncIterable<AudiencePage>) {
  let first: number | undefined;
  async function* pages(): AsyncGenerator<AudiencePage> {
    for await (const page of source) {
      first ??= firstReadOf(page.devices);
      yield { ...page, devices: heldSince(page.devices, first) };
    }
  }
  return { pages: pages(), listedBefore: () => first };
}

/** A page's recipients with their device counts, one group each (a slice never splits a recipient). */
function groupsOf(page: AudiencePage): AudienceGroup[] {
  const perUid = new Map<string, number>();
  for (const device of page.devices) perUid.set(device.uid, (perUid.get(device.uid) ?? 0) + 1);
  return page.recipients.map((uid) => ({ uids: [uid], devices: perUid.get(uid) ?? 0 }));
}

/** The pages `read` already, then those of `rest` (when the audience was not read to its end). */
async function* pagesOf(
  read: readonly AudiencePage[],
  rest?: AsyncIterator<AudiencePage>,
): AsyncGenerator<AudiencePage> {
  yield* read;
  if (!rest) return;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
