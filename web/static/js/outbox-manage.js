// Managing the queue by hand before it is sent: a waiting entry opened for editing is kept back
// (the senders take only "waiting" entries), so a send cannot slip out the old version while the
// new one is being typed; saving it puts it back in line (outbox.js enqueue). Also: how many
// entries of *another* user wait on this phone, told without anything of their content.

import * as store from "./store.js";
import { isUnlocked, unlock } from "./seal.js";
import { tokens } from "./session.js";

export const HELD = "held";

export function isEditable(item) {
  return item.state === "waiting" || item.state === HELD;
}

export async function holdForEditing(item) {
  if (item.state !== "waiting") return item;
  const current = await store.get("outbox", item.id);
  if (!current || current.state !== "waiting") return current ?? item;
  const held = { ...current, state: HELD };
  await store.put("outbox", held);
  if (typeof BroadcastChannel !== "undefined") {
    const channel = new BroadcastChannel("rinnalla-outbox");
    channel.postMessage("changed");
    channel.close();
  }
  return held;
}

// The content of a waiting entry opens only with the user's live session: ask for it (the
// shell pages do not on their own). False with no network or no session.
export async function unlockToEdit(userId) {
  if (isUnlocked(userId)) return true;
  try {
    return Boolean(await unlock(userId, await tokens.current()));
  } catch {
    return false;
  }
}

export async function othersWaiting(userId) {
  return (await store.all("outbox")).filter((item) => item.user_id !== userId).length;
}

// Where an entry is opened to be edited or fixed: its own form (a referral's is the directory's).
export function editHref(item, summary) {
  if (summary?.kind === "referral" && summary.service_id) {
    return `/services/${encodeURIComponent(summary.service_id)}/refer?draft=${encodeURIComponent(item.id)}`;
  }
  const anonymous = summary && !summary.client_id ? "&anonymous=true" : "";
  return `/visits/new?draft=${encodeURIComponent(item.id)}${anonymous}`;
}
