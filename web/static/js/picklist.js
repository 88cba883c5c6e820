// The pair's caseload (pseudonyms and ids) and the workers to tick, kept sealed on the phone
// so that a known client can be chosen with no network. Refreshed whenever a page is online.
// It lives no longer than the session it came with: it is sealed under that session's key
// (seal.js), which the phone deletes when it learns the session is over, and the server says
// when the session ends at the latest (idle time or maximum): after that the list no longer
// opens, network or not.

import * as store from "./store.js";
import { endAllSessions, open, seal, sessionKeyOf } from "./seal.js";

const FRESH_FOR_MS = 5 * 60 * 1000;
const empty = () => ({ clients: [], workers: [] });

export async function refreshPicklist(userId, { force = false } = {}) {
  const current = await store.get("state", "picklist");
  const session = await sessionKeyOf(userId);
  if (!session) return;
  const fresh = current?.user_id === userId && current.tag === session.tag && Date.now() - current.fetched_at < FRESH_FOR_MS;
  if (!force && fresh) return;
  try {
    const response = await fetch("/api/v1/device/picklist", { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    const { until, ...list } = await response.json();
    const sealed = await seal(session.key, userId, "picklist", list);
    const endsAt = Date.parse(until ?? "") || Date.now();
    await store.put("state", { user_id: userId, tag: session.tag, fetched_at: Date.now(), until: endsAt, sealed },
      "picklist");
  } catch {
    // No network: the copy on the phone stays.
  }
}

export async function loadPicklist(userId) {
  const current = await store.get("state", "picklist");
  const session = await sessionKeyOf(userId);
  if (!current || current.user_id !== userId || !session) return empty();
  if (current.tag !== session.tag) {
    await store.remove("state", "picklist"); // sealed for an earlier session: it cannot open
    return empty();
  }
  if (!(current.until > Date.now())) {
    await forgetPicklist(); // the session it came with has ended
    return empty();
  }
  try {
    return await open(session.key, userId, "picklist", current.sealed);
  } catch {
    return empty();
  }
}

// The session is gone (a page with nobody logged in, or its end has passed): the list goes, and
// the session's key with it, so a copy of the list taken off the phone cannot be opened either.
export async function forgetPicklist() {
  await endAllSessions();
  await store.remove("state", "picklist");
}
