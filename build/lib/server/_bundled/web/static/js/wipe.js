// A lost phone: a lead ended its user's sessions with "wipe". The server's answers to the old
// session then carry Clear-Site-Data ("cache", "storage"), which the browser obeys by itself
// where it can; X-Rinnalla-Wipe (or the login page's <meta name="rinnalla-wipe">) makes this
// script do the same by hand where it cannot: the queue of waiting visits, the keys, the cached
// app files and anything in localStorage go. Visits still waiting on the phone are lost.

import { destroy } from "./store.js";

export async function wipePhone() {
  await destroy();
  if (self.caches) {
    for (const name of await caches.keys()) await caches.delete(name);
  }
  try {
    self.localStorage?.clear();
  } catch {
    // a worker has no localStorage
  }
}

// An answer that says "this phone is to be wiped": true after wiping.
export async function wipeIfAsked(response) {
  if (response?.status !== 401 || response.headers.get("x-rinnalla-wipe") !== "1") return false;
  await wipePhone();
  return true;
}

export function pageAsksToWipe() {
  return Boolean(document.querySelector('meta[name="rinnalla-wipe"]'));
}
