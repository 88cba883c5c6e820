// Who the phone's queue belongs to, and the CSRF token to send with.
//
// A page rendered for a logged-in user names them (<meta name="rinnalla-user">). The offline
// shell pages name nobody: there the queue is that of the last user who used the app on this
// phone and did not log out (a session may have expired meanwhile: their visits still wait).

import { forgetFieldCopy, STATE_KEY as FIELD_COPY } from "./field-copy.js";
import * as store from "./store.js";
import { forgetKey, unlock } from "./seal.js";
import { wipeIfAsked } from "./wipe.js";

export function pageUserId() {
  const meta = document.querySelector('meta[name="rinnalla-user"]');
  return meta ? Number(meta.content) : null;
}

export function isShell() {
  return Boolean(document.querySelector('meta[name="rinnalla-shell"]'));
}

// The CSRF cookie is __Host-csrftoken when the site is served over https, csrftoken otherwise.
function csrfFromCookie() {
  const match = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function freshCsrf() {
  try {
    const response = await fetch("/api/v1/device/session", { credentials: "same-origin", cache: "no-store" });
    if (await wipeIfAsked(response)) return null;
    return response.ok ? (await response.json()).csrf_token : null;
  } catch {
    return null;
  }
}

export const tokens = {
  current: async () => csrfFromCookie() || (await freshCsrf()) || "",
  fresh: freshCsrf,
  cookie: csrfFromCookie,
};

export async function queueUser() {
  return pageUserId() ?? (await store.get("state", "user")) ?? null;
}

// A logged-in page: this user is now the phone's user. Another user's keys and pick list go
// (their sealed visits stay, unreadable until they log in here again). unlock() keeps this
// session's key; a new login's key replaces the last session's, whose lists then cannot open.
export async function rememberUser(userId) {
  // Ask the browser not to evict the queue when space runs low (best effort, no prompt).
  navigator.storage?.persist?.().catch(() => {});
  await store.put("state", userId, "user");
  for (const row of await store.all("keys")) {
    if (row.user_id !== userId) await forgetKey(row.user_id);
  }
  const picklist = await store.get("state", "picklist");
  if (picklist && picklist.user_id !== userId) await store.remove("state", "picklist");
  const fieldCopy = await store.get("state", FIELD_COPY);
  if (fieldCopy && fieldCopy.user_id !== userId) await forgetFieldCopy();
  return unlock(userId, await tokens.current());
}

// Logging out: personal data goes with the session's key, the sealed queue stays for this user alone.
export async function forgetUser(userId) {
  await forgetKey(userId);
  await store.remove("state", "picklist");
  await forgetFieldCopy();
  await store.remove("state", "user");
}

export async function rememberLanguage() {
  await store.put("state", document.documentElement.lang || "fi", "lang");
}
