// The pair's day kept on the phone (server/offline/field_copy_routes.py): today's follow-ups and
// appointments, coming releases, and each client's phone, next appointment and open follow-ups.
// Sealed under the login session's key like the pick list (seal.js), so it opens with no network
// but no longer than the session it came with: once the phone has deleted that key (logout,
// another login, a page that finds the session gone, a wipe) nothing it holds opens the copy, and
// it stops opening at the session's latest end (`until`) even if the phone never hears of it.
// Used by the pages and by the service worker (a push refreshes it).

import * as store from "./store.js";
import { endAllSessions, open, seal, sessionKeyOf } from "./seal.js";

export const STATE_KEY = "fieldCopy";
// Each copy is use-logged for every client in it: a page load refreshes it at most this often
// (coming back online and a push always do).
const FRESH_FOR_MS = 5 * 60 * 1000;

// Fetches a new copy and seals it; true when the phone now holds a fresh one. Quiet offline.
export async function refreshFieldCopy(userId, { force = false } = {}) {
  const current = await store.get("state", STATE_KEY);
  const session = await sessionKeyOf(userId);
  if (!session) return false;
  const fresh = current?.user_id === userId && current.tag === session.tag && Date.now() - current.fetched_at < FRESH_FOR_MS;
  if (!force && fresh) return true;
  try {
    const response = await fetch("/api/v1/device/today", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return false;
    const { until, ...copy } = await response.json();
    const sealed = await seal(session.key, userId, STATE_KEY, copy);
    const endsAt = Date.parse(until ?? "") || Date.now();
    await store.put("state", { user_id: userId, tag: session.tag, fetched_at: Date.now(), until: endsAt, sealed },
      STATE_KEY);
    return true;
  } catch {
    return false; // no network: the copy on the phone stays
  }
}

// The copy, or null when there is none this session's key opens.
export async function loadFieldCopy(userId) {
  const current = await store.get("state", STATE_KEY);
  const session = await sessionKeyOf(userId);
  if (!current || current.user_id !== userId || !session) return null;
  if (current.tag !== session.tag) {
    await forgetFieldCopy(); // sealed for an earlier session: it cannot open
    return null;
  }
  if (!(current.until > Date.now())) {
    await forgetFieldCopy();
    await endAllSessions(); // the session it came with has ended: its key goes too
    return null;
  }
  try {
    return await open(session.key, userId, STATE_KEY, current.sealed);
  } catch {
    return null;
  }
}

export async function forgetFieldCopy() {
  await store.remove("state", STATE_KEY);
}

// A logged-in page keeps the copy fresh: now (unless just fetched), and when the network returns.
export async function keepFieldCopyFresh(userId) {
  const refresh = async (force) => {
    if (await refreshFieldCopy(userId, { force })) document.documentElement.dataset.fieldCopyKept = "true";
  };
  window.addEventListener("online", () => refresh(true).catch(() => {}));
  await refresh(false);
}
