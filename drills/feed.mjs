// The feed as the Admin SDK reads it (docs/delivery.md, "The feed"): each recipient's items
// (`notifications/{uid}/items/{deliveryId}`) and their `notifications/{uid}.unread`, and what must hold of
// them after any run of a delivery, killed or not. Shared by the crash drills and bench/unread.mjs.

/** Each of `uids`' items ({ id, read }) and stored `unread` (0 when absent), read 20 recipients at a time. */
export async function feedState(db, uids) {
  const state = new Map();
  let next = 0;
  const worker = async () => {
    while (next < uids.length) {
      const uid = uids[next++];
      const [items, doc] = await Promise.all([
        db.collection(`notifications/${uid}/items`).select("read").get(),
        db.doc(`notifications/${uid}`).get(),
      ]);
      const unread = doc.get("unread");
      state.set(uid, {
        items: items.docs.map((item) => ({ id: item.id, read: item.get("read") })),
        unread: typeof unread === "number" ? unread : 0,
      });
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return state;
}

/**
 * What is wrong with the feed of `uids` after `deliveryIds` (the only deliveries that reached them): a
 * recipient who was sent a push (`pushed`, by uid) without its delivery's item, an item of another id, more
 * items than deliveries, and an `unread` that is not their number of unread items. Returns the problems
 * (one line each) and the figures.
 */
export function feedProblems(state, { deliveryIds, pushed = new Map() }) {
  const wanted = new Set(deliveryIds);
  const problems = [];
  let items = 0;
  let withItem = 0;
  for (const [uid, { items: own, unread }] of state) {
    items += own.length;
    if (own.length > 0) withItem++;
    const ids = new Set(own.map((item) => item.id));
    const stray = own.filter((item) => !wanted.has(item.id));
    if (stray.length > 0) problems.push(`${uid}: items of other ids ${stray.map((i) => i.id).join(", ")}`);
    if (ids.size !== own.length || own.length > wanted.size) problems.push(`${uid}: ${own.length} items`);
    for (const id of pushed.get(uid) ?? []) {
      if (!ids.has(id)) problems.push(`${uid}: pushed for ${id} without its item`);
    }
    const unreadItems = own.filter((item) => item.read === false).length;
    if (unread !== unreadItems) problems.push(`${uid}: unread ${unread}, unread items ${unreadItems}`);
  }
  return { problems, recipients: state.size, items, withItem };
}
