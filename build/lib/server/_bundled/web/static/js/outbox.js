// The queue of visits waiting on the phone, and sending them: used by the pages and by the
// service worker (Background Sync). Every visit carries the id the phone made for it, and the
// server stores an id once, so sending again after any failure can never make a second visit.
//
// What each answer means for a waiting visit:
//   201/200          stored (or already stored): removed from the phone
//   network error    kept; tried again on the next trigger
//   5xx, 408, 429    kept; tried again after a growing pause
//   401              kept until the same user logs in again (deleted if a lead wiped the phone)
//   403              the CSRF token is stale: one retry with a fresh token, then kept and shown
//   422              kept and shown with the server's words, for the user to fix
//   404, 409, other  kept and shown (e.g. the client moved to another team)

import * as store from "./store.js";
import { isUnlocked, keysOf, lock, open, openAsUser, seal, sealToUser, unlock } from "./seal.js";
import { wipeIfAsked } from "./wipe.js";

export const CHANNEL = "rinnalla-outbox";
export const SYNC_TAG = "rinnalla-outbox";
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 5 * 60 * 1000;
const RETRY_STATUSES = new Set([408, 429]);
const SEND_TIMEOUT_MS = 15000; // a hung request on a weak signal must not hold the queue

function timeoutSignal() {
  return typeof AbortSignal !== "undefined" && AbortSignal.timeout ? AbortSignal.timeout(SEND_TIMEOUT_MS) : undefined;
}

function announce() {
  if (typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage("changed");
  channel.close();
}

// `keys` from seal.keysOf: the content is sealed to the user's public key (opens only with a
// live session), the summary (when, whom) under the device key (opens offline, for the list).
export async function enqueue(userId, keys, payload) {
  const previous = await store.get("outbox", payload.id);
  const summary = { occurred_at: payload.occurred_at ?? null, client_id: payload.client_id ?? null,
    anonymous_count: payload.anonymous_count ?? null };
  await store.put("outbox", {
    id: payload.id, user_id: userId, created_at: previous?.created_at ?? Date.now(),
    sealed: await sealToUser(keys, userId, payload.id, payload),
    summary: await seal(keys.key, userId, `${payload.id}/summary`, summary),
    state: "waiting", attempts: 0, next_try_at: 0, status: null, errors: [],
  });
  announce();
}

export async function itemsOf(userId) {
  return (await store.byUser(userId)).sort((a, b) => a.created_at - b.created_at);
}

export async function counts(userId) {
  const items = await itemsOf(userId);
  const waiting = items.filter((item) => item.state === "waiting").length;
  return { waiting, attention: items.length - waiting, total: items.length };
}

// The whole visit: only while the user's session has unlocked this page or worker.
export async function openItem(userId, item) {
  const keys = await keysOf(userId);
  if (!keys?.public_key || !isUnlocked(userId)) return null;
  try {
    return await openAsUser(keys, userId, item.id, item.sealed);
  } catch {
    return null; // sealed under a key this phone no longer has
  }
}

// When and whom, for the list: opens with no network while the device key is on the phone.
export async function summaryOf(userId, item) {
  const keys = await keysOf(userId);
  if (!keys?.key || !item.summary) return null;
  try {
    return await open(keys.key, userId, `${item.id}/summary`, item.summary);
  } catch {
    return null;
  }
}

export async function itemById(userId, id) {
  const item = await store.get("outbox", id);
  return item && item.user_id === userId ? item : null;
}

export async function discard(id) {
  await store.remove("outbox", id);
  announce();
}

async function change(item, fields) {
  const current = await store.get("outbox", item.id);
  if (current) await store.put("outbox", { ...current, ...fields });
}

async function retryLater(item, status) {
  const attempts = item.attempts + 1;
  const pause = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), MAX_RETRY_MS);
  await change(item, { attempts, status, next_try_at: Date.now() + pause });
}

function post(payload, userId, csrfToken) {
  return fetch("/api/v1/visits", {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "content-type": "application/json", "x-csrftoken": csrfToken, "x-rinnalla-user": String(userId) },
    body: JSON.stringify(payload), signal: timeoutSignal(),
  });
}

// One attempt at one visit; the outcome says what the drain should do next.
async function sendOne(item, userId, csrfToken) {
  if (!isUnlocked(userId)) return { outcome: "login" }; // no live session here: the visit waits
  const payload = await openItem(userId, item);
  if (!payload) {
    await change(item, { state: "sealed" });
    return { outcome: "kept", status: null };
  }
  let response;
  try {
    response = await post(payload, userId, csrfToken);
  } catch {
    return { outcome: "offline" }; // no answer at all (or none in time): the server may have it, resend later
  }
  const { status } = response;
  if (status === 200 || status === 201) {
    const visit = await response.json().catch(() => null);
    await store.remove("outbox", item.id);
    return { outcome: "sent", visit };
  }
  if (status === 401) {
    lock(userId); // the session ended: nothing here opens the content any more
    await wipeIfAsked(response); // a lost phone: the queue goes with everything else
    return { outcome: "login" };
  }
  if (status === 403) return { outcome: "forbidden" };
  if (status >= 500 || RETRY_STATUSES.has(status)) {
    await retryLater(item, status);
    return { outcome: "retry" };
  }
  const body = await response.json().catch(() => ({}));
  const state = status === 422 ? "needs_fix" : "blocked";
  await change(item, { state, status, errors: Array.isArray(body.errors) ? body.errors : [] });
  return { outcome: "kept", status };
}

async function sendWithFreshTokenOnce(item, userId, tokens, state) {
  let result = await sendOne(item, userId, state.token);
  if (result.outcome === "forbidden" && !state.refreshed) {
    state.refreshed = true;
    state.token = await tokens.fresh();
    if (!state.token) return { outcome: "login" };
    result = await sendOne(item, userId, state.token);
  }
  if (result.outcome === "forbidden") {
    await change(item, { state: "blocked", status: 403, errors: [] });
    return { outcome: "kept", status: 403 };
  }
  return result;
}

function exclusively(task) {
  // One sender at a time across tabs and the service worker: fewer requests, tidy counts.
  // (The server's unique visit id is what makes a second sender harmless.)
  if (self.navigator?.locks) return self.navigator.locks.request("rinnalla-outbox", task);
  return task();
}

// The visits' content opens only with the user's live session: ask for it once per drain.
// No answer means no network (the visits wait quietly); a refusal means the session ended.
async function unlockForSending(userId, token) {
  if (isUnlocked(userId)) return null;
  try {
    return (await unlock(userId, token)) ? null : "login";
  } catch {
    return "offline";
  }
}

// Sends every waiting visit of this user that is due, oldest first.
// `tokens.current()` / `tokens.fresh()` give the CSRF token to send with.
// Returns { sent, visits, stopped: null | "offline" | "login", retry: bool }.
export function drain(userId, tokens) {
  return exclusively(async () => {
    const summary = { sent: 0, visits: [], stopped: null, retry: false, kept: [] };
    const due = (await itemsOf(userId)).filter((item) => item.state === "waiting" && item.next_try_at <= Date.now());
    if (!due.length) return summary;
    const state = { token: await tokens.current(), refreshed: false };
    summary.stopped = await unlockForSending(userId, state.token);
    if (summary.stopped) return summary;
    for (const item of due) {
      const result = await sendWithFreshTokenOnce(item, userId, tokens, state);
      if (result.outcome === "sent") {
        summary.sent += 1;
        summary.visits.push({ id: item.id, visit: result.visit });
      } else if (result.outcome === "offline" || result.outcome === "login") {
        summary.stopped = result.outcome;
        break;
      } else if (result.outcome === "retry") {
        summary.retry = true;
      } else if (result.outcome === "kept") {
        summary.kept.push({ id: item.id, status: result.status });
      }
    }
    announce();
    return summary;
  });
}

// When the next visit held back by a pause may be tried again (null: none is held back now).
// Pauses already over are left to the other triggers: rescheduling them at once would spin.
export async function nextRetryAt(userId) {
  const now = Date.now();
  const due = (await itemsOf(userId)).filter((item) => item.state === "waiting" && item.next_try_at > now)
    .map((item) => item.next_try_at);
  return due.length ? Math.min(...due) : null;
}
