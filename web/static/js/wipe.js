// A lost phone: a lead ended its user's sessions with "wipe". The server's answers to the old
// session then carry Clear-Site-Data ("cache", "storage"), which the browser obeys by itself
// where it can; X-Rinnalla-Wipe (or the login page's <meta name="rinnalla-wipe">) makes this
// script do the same by hand where it cannot: the queue of waiting visits, the keys, the cached
// app files and anything in localStorage go. Visits still waiting on the phone are lost.

import * as store from "./store.js";
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
  try {
    await wipePhone();
  } catch {
    // The browser is obeying the same answer's Clear-Site-Data on this storage at this moment;
    // a deletion racing it may fail, and the storage goes all the same.
  }
  return true;
}

export function pageAsksToWipe() {
  return Boolean(document.querySelector('meta[name="rinnalla-wipe"]'));
}

// A page with nobody logged in, on a phone that has been used: its cookie may have expired before
// a lead wiped it, so it asks by the id it made for itself (server/accounts/devices.py).
export async function askByDeviceId(csrfToken) {
  const id = await store.get("state", "device_id");
  if (!id) return false;
  const response = await fetch("/api/v1/device/wipe-check", {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "content-type": "application/json", "x-csrftoken": csrfToken },
    body: JSON.stringify({ device_id: id }),
  });
  return wipeIfAsked(response);
}
