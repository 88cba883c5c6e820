// Reminders on this phone (Web Push): turned on only by a tap, re-checked on every app load.
//
// A subscription belongs to the server's public key (<meta name="rinnalla-push-key">). Turning
// reminders on records who asked (the worker, or the client's link) on the phone; on each load
// of that person's pages the phone makes sure its subscription still exists and is for that key,
// and tells the server at most once a day, or at once when the subscription or the session
// changed: browsers drop and renew subscriptions without telling anyone, and a session that ends
// takes its phone's reminders with it. Turning reminders off forgets the record.

import * as store from "./store.js";
import { tokens } from "./session.js";
import { text } from "./texts.js";

const SENT_KEY = "pushSent";
const DAY_MS = 24 * 3600 * 1000;

// "u<user>s<session>" on a worker's pages; a client's link page has none (its address is its owner).
function pageOwner() {
  return document.querySelector('meta[name="rinnalla-push-owner"]')?.content || "";
}

const samePerson = (a, b) => a.split("s")[0] === b.split("s")[0];

function serverKey() {
  return document.querySelector('meta[name="rinnalla-push-key"]')?.content || "";
}

export function pushSupported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function keyBytes(base64url) {
  const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (ch) => ch.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true; // the browser does not say: trust it
  const a = new Uint8Array(current);
  const b = keyBytes(key);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function currentSubscription(key, create) {
  const registration = await navigator.serviceWorker.ready;
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe(); // made for an older server key: it can never get our pushes
    subscription = null;
  }
  if (!subscription && create) {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  }
  return subscription;
}

async function tellServer(url, subscription) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrftoken": await tokens.current() },
    body: JSON.stringify(subscription.toJSON()),
  });
  if (!response.ok) throw new Error(`subscription refused: ${response.status}`);
  await store.put("state", { endpoint: subscription.endpoint, url, owner: pageOwner(), at: Date.now() }, SENT_KEY);
  return response.json();
}

// On every load of the pages of whoever turned reminders on here: renew a dropped or outdated
// subscription and keep the server's copy fresh. Nobody else's pages touch it.
export async function recheckSubscription(url) {
  const key = serverKey();
  const sent = await store.get("state", SENT_KEY).catch(() => null);
  if (!sent || sent.url !== url || !samePerson(sent.owner || "", pageOwner())) return;
  if (!key || !pushSupported() || Notification.permission !== "granted") return;
  const subscription = await currentSubscription(key, true);
  const fresh = Date.now() - sent.at < DAY_MS && sent.owner === pageOwner();
  if (sent.endpoint === subscription.endpoint && fresh) return;
  await tellServer(url, subscription);
}

async function turnOn(url) {
  if (!pushSupported()) return "push_unsupported";
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return permission === "denied" ? "push_denied" : "push_off";
  try {
    await tellServer(url, await currentSubscription(serverKey(), true));
    return "push_on";
  } catch {
    return "push_failed";
  }
}

async function turnOff(url) {
  if (!pushSupported()) return "push_off";
  const subscription = await currentSubscription(serverKey(), false);
  if (subscription) {
    await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrftoken": await tokens.current() },
      body: JSON.stringify({ endpoint: subscription.endpoint }),
    }).catch(() => null);
    await subscription.unsubscribe();
  }
  await store.remove("state", SENT_KEY).catch(() => null);
  return "push_off";
}

// On for this page's person: they turned it on here, and the subscription is still there.
async function phoneIsOn(url) {
  if (!pushSupported() || Notification.permission !== "granted") return false;
  const sent = await store.get("state", SENT_KEY).catch(() => null);
  if (!sent || sent.url !== url || !samePerson(sent.owner || "", pageOwner())) return false;
  return Boolean(await currentSubscription(serverKey(), false));
}

function isIphoneTab() {
  const ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  return ios && !window.matchMedia("(display-mode: standalone)").matches && !navigator.standalone;
}

// The settings page (workers) and the client's link page share this: a status line and two
// buttons. data-subscribe / data-unsubscribe name the server's addresses.
export async function enhancePushPanel() {
  const panel = document.querySelector("[data-push-panel]");
  if (!panel) return;
  const status = panel.querySelector("[data-push-status]");
  const on = panel.querySelector("[data-push-on]");
  const off = panel.querySelector("[data-push-off]");
  if (panel.dataset.linkPath) await store.put("state", panel.dataset.linkPath, "reminderLink").catch(() => null);
  const show = (name, active) => {
    status.textContent = text(name);
    on.hidden = active;
    off.hidden = !active;
    panel.dataset.pushState = active ? "on" : "off";
  };
  panel.querySelector("[data-push-iphone]")?.toggleAttribute("hidden", !isIphoneTab());
  if (!pushSupported()) {
    show("push_unsupported", false);
    on.disabled = true;
    return;
  }
  const active = await phoneIsOn(panel.dataset.subscribe).catch(() => false);
  show(active ? "push_on" : Notification.permission === "denied" ? "push_denied" : "push_off", active);
  on.addEventListener("click", async () => {
    on.disabled = true;
    const result = await turnOn(panel.dataset.subscribe);
    on.disabled = false;
    show(result, result === "push_on");
  });
  off.addEventListener("click", async () => {
    off.disabled = true;
    show(await turnOff(panel.dataset.unsubscribe), false);
    off.disabled = false;
  });
}
