// Sealing what is kept on the phone, in layers.
//
// - The *session key* (AES-GCM, non-extractable, kept in IndexedDB) belongs to one login
//   session: it seals what must open with no network but only while that session lives, the
//   pick list and the Today copy (picklist.js, field-copy.js). The server gives it only to that
//   live session; the phone deletes it when it learns the session is over (logout, a page with
//   nobody logged in, a refused key request, another login, a wipe), and then nothing on the
//   phone opens those lists any more (crypto-shredding), not even the device key.
// - The user's *device key* (AES-GCM, non-extractable, kept in IndexedDB) seals each waiting
//   visit's summary (when, whom): it must open after the session has ended, for the queue.
// - A waiting visit's content (notes, themes, everything sent) is sealed to the user's *public
//   key* (ECDH P-256 with a fresh key per visit), which needs no secret: visits can be sealed
//   offline even after the session has ended. The matching private key is kept only wrapped,
//   under an *unwrap key* the server gives to that user's live session and that is never
//   stored (the unwrapped key lives in this page's or worker's memory, non-extractable): so the
//   content opens only while the user is logged in. A lost phone, whose session
//   the lead ends, holds nothing readable but pseudonyms and times.
//
// Every secret comes from the server (server/offline/device_keys.py) only to the user's own
// session. Logging out deletes the device key too; the sealed visits stay, for that user alone.

import * as store from "./store.js";
import { wipeIfAsked } from "./wipe.js";

const encoder = new TextEncoder();
const ECDH = { name: "ECDH", namedCurve: "P-256" };
const privateKeys = new Map(); // user id → unwrapped private key: in memory only, for this page or worker

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

export async function keysOf(userId) {
  return (await store.get("keys", userId)) ?? null;
}

export async function keyOf(userId) {
  return (await keysOf(userId))?.key ?? null;
}

function fromBase64Url(text) {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0));
}

function importAesKey(raw) {
  return crypto.subtle.importKey("raw", fromBase64Url(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

async function newKeyPair(userId, unwrapKey) {
  const pair = await crypto.subtle.generateKey(ECDH, true, ["deriveKey"]);
  const wrapIv = crypto.getRandomValues(new Uint8Array(12));
  const wrapped = await crypto.subtle.wrapKey("pkcs8", pair.privateKey, unwrapKey,
    { name: "AES-GCM", iv: wrapIv, additionalData: binding(userId, "private") });
  return { public_key: pair.publicKey, wrapped_private: wrapped, wrap_iv: wrapIv };
}

function unwrapPrivate(keys, userId, unwrapKey) {
  return crypto.subtle.unwrapKey("pkcs8", keys.wrapped_private, unwrapKey,
    { name: "AES-GCM", iv: keys.wrap_iv, additionalData: binding(userId, "private") }, ECDH, false, ["deriveKey"]);
}

function exclusively(name, task) {
  return self.navigator?.locks ? self.navigator.locks.request(name, task) : task();
}

// The stored keys with a key pair that this unwrap key opens: made once per user and device
// (under a lock, so two tabs or a tab and the worker cannot make two), and made anew only if
// the server's secret changed (the old pair's visits then show as unreadable, never as "no
// network" forever, and new visits are sealed to a pair that opens).
async function keysWithPair(userId, material, unwrapKey) {
  return exclusively(`rinnalla-keys-${userId}`, async () => {
    const kept = await keysOf(userId);
    let pair = kept?.public_key ? kept : null;
    let privateKey = pair ? await unwrapPrivate(pair, userId, unwrapKey).catch(() => null) : null;
    if (!privateKey) {
      pair = await newKeyPair(userId, unwrapKey);
      privateKey = await unwrapPrivate(pair, userId, unwrapKey);
    }
    // Another session than the kept key's (a new login): its key replaces the old one, and what
    // the old one sealed no longer opens.
    const newSession = kept?.session_tag !== material.session_tag;
    const keys = { user_id: userId, key: kept?.key ?? (await importAesKey(material.key)),
      public_key: pair.public_key, wrapped_private: pair.wrapped_private, wrap_iv: pair.wrap_iv,
      session_key: newSession ? await importAesKey(material.session) : kept.session_key,
      session_tag: material.session_tag };
    if (!kept?.key || kept.public_key !== pair.public_key || newSession) await store.put("keys", keys);
    return { keys, privateKey };
  });
}

// With the user's live session: fetches both secrets, keeps the device key (and on first use
// makes the key pair), and holds the private key in memory. Returns the stored keys, or null
// when the server refuses (no session). Throws only when there is no answer (no network).
export async function unlock(userId, csrfToken) {
  const response = await fetch("/api/v1/device/key", {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "content-type": "application/json", "x-csrftoken": csrfToken },
    body: JSON.stringify({ device_id: await deviceId() }),
  });
  if (!response.ok) {
    lock(userId);
    if (response.status === 401) await endSession(userId); // no live session: its key goes
    await wipeIfAsked(response);
    return null;
  }
  const material = await response.json();
  const unwrapKey = await crypto.subtle.importKey("raw", fromBase64Url(material.unwrap), "AES-GCM", false,
    ["wrapKey", "unwrapKey"]);
  const { keys, privateKey } = await keysWithPair(userId, material, unwrapKey);
  privateKeys.set(userId, privateKey);
  return keys;
}

// The session is gone: the content closes again in this page or worker.
export function lock(userId) {
  privateKeys.delete(userId);
}

// Logging out, or another user on the phone: the device key and the session key go (pseudonyms
// and summaries no longer open); the key pair stays, wrapped, so the waiting visits open again
// for the same user.
export async function forgetKey(userId) {
  privateKeys.delete(userId);
  const kept = await keysOf(userId);
  if (!kept) return;
  const { key: _deviceKey, session_key: _sessionKey, session_tag: _tag, ...pairOnly } = kept;
  await store.put("keys", pairOnly);
}

// The live session's key and its tag as kept on the phone, or null: what the pick list and the
// Today copy are sealed under (they open offline, but only while this key is kept).
export async function sessionKeyOf(userId) {
  const kept = await keysOf(userId);
  return kept?.session_key ? { key: kept.session_key, tag: kept.session_tag } : null;
}

// The user's session is over: its key goes, and with it everything sealed under it (the server
// gives that key to nobody any more). The device key and the wrapped pair stay, for the queue.
export async function endSession(userId) {
  await exclusively(`rinnalla-keys-${userId}`, async () => {
    const kept = await keysOf(userId);
    if (!kept?.session_key) return;
    const { session_key: _sessionKey, session_tag: _tag, ...rest } = kept;
    await store.put("keys", rest);
  });
}

// Nobody's session is alive on this phone (a server page with nobody logged in).
export async function endAllSessions() {
  for (const row of await store.all("keys")) await endSession(row.user_id);
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

function contentKey(privateKey, publicKey) {
  return crypto.subtle.deriveKey({ name: "ECDH", public: publicKey }, privateKey,
    { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

// Seals to the user's public key: works with no session and no network.
export async function sealToUser(keys, userId, id, value) {
  const ephemeral = await crypto.subtle.generateKey(ECDH, true, ["deriveKey"]);
  const sealed = await seal(await contentKey(ephemeral.privateKey, keys.public_key), userId, id, value);
  return { ...sealed, epk: await crypto.subtle.exportKey("raw", ephemeral.publicKey) };
}

export function isUnlocked(userId) {
  return privateKeys.has(userId);
}

// Opens what sealToUser sealed; only after unlock() in this page or worker. Throws if the
// content cannot be opened with the keys there are.
export async function openAsUser(keys, userId, id, sealed) {
  const privateKey = privateKeys.get(userId);
  const publicKey = await crypto.subtle.importKey("raw", sealed.epk, ECDH, false, []);
  return open(await contentKey(privateKey, publicKey), userId, id, sealed);
}
