// The pair's caseload (pseudonyms and ids) and the workers to tick, kept sealed on the phone
// so that a known client can be chosen with no network. Refreshed whenever a page is online.

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
    const sealed = await seal(key, userId, "picklist", await response.json());
    await store.put("state", { user_id: userId, fetched_at: Date.now(), sealed }, "picklist");
  } catch {
    // No network: the copy on the phone stays.
  }
}

export async function loadPicklist(userId) {
  const current = await store.get("state", "picklist");
  const key = await keyOf(userId);
  if (!current || current.user_id !== userId || !key) return { clients: [], workers: [] };
  try {
    return await open(key, userId, "picklist", current.sealed);
  } catch {
    return { clients: [], workers: [] };
  }
}
