// Rinnalla service worker: a static file, served at /sw.js (server/offline/routes.py) so its
// scope is the whole app. The page registers it as /sw.js?release=<release>, a new address for
// every release, so each release installs a worker of its own; what the server knows (the files
// and shell pages to keep) comes from /sw.json at install and is kept in the release's cache.
//
// - The app shell (styles, scripts, icons and shell pages without personal data) is kept in a
//   cache named after the release; a new release installs beside it and takes over only when
//   the user accepts the update (see static/js/pwa.js), then the old cache is deleted.
// - Pages: network first; with no network the matching shell page answers, so the home
//   screen icon opens the app and the visit form works. Pages with client data are never
//   stored (the server marks them no-store and nothing here keeps them).
// - Background Sync (Chromium) sends waiting visits even when no page is open; the pages
//   themselves send on load, on `online`, when shown, and on a timer (Safari, Firefox).

// The same modules the pages use, from the unversioned /static/ path (a worker cannot import by a
// computed address); the page registers with updateViaCache "none", so they are never stale.
import { counts, drain, SYNC_TAG } from "/static/js/outbox.js";
import * as store from "/static/js/store.js";
import { refreshFieldCopy } from "/static/js/field-copy.js";
import { wipeIfAsked } from "/static/js/wipe.js";

const RELEASE = new URL(self.location.href).searchParams.get("release");
const CACHE = "rinnalla-" + RELEASE;
const CONFIG = "/sw.json";

// { release, assets: [urls], shell: { language: { page: url } } }, from the release's cache once
// installed (it answers with no network too).
let config = null;
async function serverValues() {
  if (!config) {
    const cache = await caches.open(CACHE);
    config = await (await cache.match(CONFIG)).json();
  }
  return config;
}

async function install() {
  const response = await fetch(CONFIG, { cache: "no-store", credentials: "omit" });
  const values = await response.clone().json();
  // Another release answered (a rolling deploy, or this worker's own update check after a new
  // release): install nothing rather than store a mix of two; the page registers the right one.
  if (values.release !== RELEASE) throw new Error("the server is at release " + values.release);
  const urls = [...values.assets, ...Object.values(values.shell).flatMap((pages) => Object.values(pages))];
  const cache = await caches.open(CACHE);
  // `reload`: past the HTTP cache, so the release's files are the ones stored.
  await cache.addAll(urls.map((url) => new Request(url, { cache: "reload" })));
  await cache.put(CONFIG, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(install());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("rinnalla-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});

// Today, the caseload and a client card: shown from the phone's sealed copy (js/offline-pages.js).
function fieldCopyPage(path) {
  if (path === "/") return "today";
  if (path === "/clients") return "caseload";
  return /^\/clients\/\d+$/.test(path) ? "client" : null;
}

async function shellPageFor(url) {
  const language = (await store.get("state", "lang").catch(() => null)) || "fi";
  const { shell } = await serverValues();
  const pages = shell[language] || shell.fi;
  let page = "offline";
  if (url.pathname === "/visits/new") page = url.searchParams.get("anonymous") === "true" ? "anonymous" : "visit";
  else if (url.pathname === "/outbox") page = "outbox";
  else if (url.pathname === "/services") page = "services";
  else if (/^\/services\/\d+\/refer$/.test(url.pathname)) page = "refer";
  else page = fieldCopyPage(url.pathname) ?? page;
  const cache = await caches.open(CACHE);
  return (await cache.match(pages[page])) || Response.error();
}

async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch {
    return shellPageFor(new URL(request.url));
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(networkFirst(request));
  else if (url.pathname.startsWith("/assets/")) event.respondWith(cacheFirst(request));
});

async function sessionForSync() {
  const response = await fetch("/api/v1/device/session", { credentials: "same-origin", cache: "no-store" });
  if (await wipeIfAsked(response)) return null; // a lost phone, wiped by a lead
  return response.ok ? response.json() : null;
}

async function sendWaitingVisits() {
  const session = await sessionForSync(); // throws with no network: the browser retries later
  if (!session) return; // logged out: the visits wait for their user
  const fresh = async () => (await sessionForSync().catch(() => null))?.csrf_token ?? null;
  const summary = await drain(session.user_id, { current: async () => session.csrf_token, fresh });
  // Still waiting (no network, a pause, a retry): fail, so the browser tries this sync again.
  if (summary.stopped || summary.retry || (await counts(session.user_id)).waiting > 0) {
    throw new Error("visits still waiting");
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendWaitingVisits());
});

// A reminder: always shown (iOS drops a subscription whose pushes show nothing). The payload
// names no one; the tag makes a repeated delivery replace the first instead of piling up.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const options = {
    body: data.body || "",
    tag: data.tag || "rinnalla",
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url: data.url || "/" },
  };
  // The reminder also wakes a phone that was offline: it sends what waits and takes a fresh copy
  // of the pair's day, if its user's session is alive (the push itself carries nothing of it).
  event.waitUntil(Promise.all([self.registration.showNotification(data.title || "Rinnalla", options),
    catchUp().catch(() => null)]));
});

async function catchUp() {
  const session = await sessionForSync();
  if (!session) return;
  await refreshFieldCopy(session.user_id, { force: true });
  const fresh = async () => (await sessionForSync().catch(() => null))?.csrf_token ?? null;
  await drain(session.user_id, { current: async () => session.csrf_token, fresh });
}

// "/r/" is the client's own link: the server keeps only its hash, the phone kept the address.
async function notificationTarget(url) {
  const path = url === "/r/" ? (await store.get("state", "reminderLink").catch(() => null)) || "/" : url;
  const target = new URL(path, self.location.origin);
  return target.origin === self.location.origin ? target.href : self.location.origin + "/";
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const target = await notificationTarget(event.notification.data?.url || "/");
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const same = windows.find((client) => client.url === target);
    if (same) return same.focus();
    // Another page may hold a half-typed visit: open a new window rather than navigate it away.
    return self.clients.openWindow(target);
  })());
});

// A browser that renews a worker's subscription by itself says so here (Chromium, Firefox,
// Safari); the pages also re-check on every load, which covers browsers that do not.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil((async () => {
    const sent = await store.get("state", "pushSent").catch(() => null);
    const key = event.oldSubscription?.options?.applicationServerKey;
    if (!sent || !key || !sent.url.startsWith("/api/")) return; // a client's link needs its page
    const session = await sessionForSync();
    if (!session) return;
    const subscription = event.newSubscription
      || (await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
    const response = await fetch(sent.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrftoken": session.csrf_token },
      body: JSON.stringify(subscription.toJSON()),
    });
    if (response.ok) await store.put("state", { ...sent, endpoint: subscription.endpoint, at: Date.now() }, "pushSent");
  })());
});
