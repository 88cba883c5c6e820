// The pair's day kept on the phone (server/offline/field_copy_routes.py): today's follow-ups and
// appointments, coming releases, and each client's phone, next appointment and open follow-ups.
// Sealed under the user's device key like the pick list, so it opens with no network, but no
// longer than the session it came with (`until`); logout and another user's login remove it
// (session.js forgetUser), and a wipe takes it too.
// Used by the pages and by the service worker (a push refreshes it).

import * as store from "./store.js";
import { keyOf, open, seal } from "./seal.js";

export const STATE_KEY = "fieldCopy";
// Each copy is use-logged for every client in it: a page load refreshes it at most this often
// (coming back online and a push always do).
const FRESH_FOR_MS = 5 * 60 * 1000;

// Fetches a new copy and seals it; true when the phone now holds a fresh one. Quiet offline.
export async function refreshFieldCopy(userId, { force = false } = {}) {
  const current = await store.get("state", STATE_KEY);
  if (!force && current?.user_id === userId && Date.now() - current.fetched_at < FRESH_FOR_MS) return true;
  const key = await keyOf(userId);
  if (!key) return false;
  try {
    const response = await fetch("/api/v1/device/today", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return false;
    const { until, ...copy } = await response.json();
    const sealed = await seal(key, userId, STATE_KEY, copy);
    const endsAt = Date.parse(until ?? "") || Date.now();
    await store.put("state", { user_id: userId, fetched_at: Date.now(), until: endsAt, sealed }, STATE_KEY);
    return true;
  } catch {
    return false; // no network: the copy on the phone stays
  }
}

// The copy, or null when there is none this user's key opens.
export async function loadFieldCopy(userId) {
  const current = await store.get("state", STATE_KEY);
  const key = await keyOf(userId);
  if (!current || current.user_id !== userId || !key) return null;
  if (!(current.until > Date.now())) {
    await forgetFieldCopy(); // the session it came with has ended
    return null;
  }
  try {
    return await open(key, userId, STATE_KEY, current.sealed);
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
