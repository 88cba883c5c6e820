// The pair's caseload (pseudonyms and ids) and the workers to tick, kept sealed on the phone
// so that a known client can be chosen with no network. Refreshed whenever a page is online.
// It lives no longer than the session it came with: the server says when that session ends at
// the latest (idle time or maximum), and after that the list no longer opens, network or not;
// a page that finds the session gone (the login page) deletes it at once.

import * as store from "./store.js";
import { keyOf, open, seal } from "./seal.js";

const FRESH_FOR_MS = 5 * 60 * 1000;

export async function refreshPicklist(userId, { force = false } = {}) {
  const current = await store.get("state", "picklist");
  if (!force && current?.user_id === userId && Date.now() - current.fetched_at < FRESH_FOR_MS) return;
  const key = await keyOf(userId);
  if (!key) return;
  try {
    const response = await fetch("/api/v1/device/picklist", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    const { until, ...list } = await response.json();
    const sealed = await seal(key, userId, "picklist", list);
    const endsAt = Date.parse(until ?? "") || Date.now();
    await store.put("state", { user_id: userId, fetched_at: Date.now(), until: endsAt, sealed }, "picklist");
  } catch {
    // No network: the copy on the phone stays.
  }
}

export async function loadPicklist(userId) {
  const current = await store.get("state", "picklist");
  const key = await keyOf(userId);
  if (!current || current.user_id !== userId || !key) return { clients: [], workers: [] };
  if (!(current.until > Date.now())) {
    await forgetPicklist(); // the session it came with has ended
    return { clients: [], workers: [] };
  }
  try {
    return await open(key, userId, "picklist", current.sealed);
  } catch {
    return { clients: [], workers: [] };
  }
}

export async function forgetPicklist() {
  await store.remove("state", "picklist");
}
