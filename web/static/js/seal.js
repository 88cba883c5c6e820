// Sealing what is kept on the phone: AES-GCM under a non-extractable key of one user on this
// device. The key's bytes come from the server (only to that user's session, see
// server/offline/device_keys.py) and are imported so that no script can read them back.
// Logging out deletes the key but keeps the sealed visits: they open again only after the
// same user logs in, and another user of the phone can neither read nor send them.

import * as store from "./store.js";

const encoder = new TextEncoder();

function binding(userId, id) {
  // Ties a sealed value to its owner and row: a row copied under another user will not open.
  return encoder.encode(`rinnalla|${userId}|${id}`);
}

export async function deviceId() {
  let id = await store.get("state", "device_id");
  if (!id) {
    id = crypto.randomUUID();
    await store.put("state", id, "device_id");
  }
  return id;
}

export async function keyOf(userId) {
  const row = await store.get("keys", userId);
  return row ? row.key : null;
}

function fromBase64Url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
}

// Fetches this user's key for this device, unless the phone already holds it.
export async function ensureKey(userId, csrfToken) {
  const existing = await keyOf(userId);
  if (existing) return existing;
  const response = await fetch("/api/v1/device/key", {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "content-type": "application/json", "x-csrftoken": csrfToken },
    body: JSON.stringify({ device_id: await deviceId() }),
  });
  if (!response.ok) return null;
  const { key: raw } = await response.json();
  const key = await crypto.subtle.importKey("raw", fromBase64Url(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
  await store.put("keys", { user_id: userId, key });
  return key;
}

export async function forgetKey(userId) {
  await store.remove("keys", userId);
}

export async function seal(key, userId, id, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: binding(userId, id) }, key, encoder.encode(JSON.stringify(value)));
  return { iv, data };
}

export async function open(key, userId, id, sealed) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.iv, additionalData: binding(userId, id) }, key, sealed.data);
  return JSON.parse(new TextDecoder().decode(plain));
}
