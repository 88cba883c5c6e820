// The client's own link page: a service worker of its own, scoped to the link's address, so the
// workers' app (its shell, its caches) never lands on a client's phone. It keeps one offline copy
// (the next appointments and, with the client's consent, the goals), refreshed on every visit with
// network, and deletes it as soon as the server says the link has ended.

const COPY_CACHE = "client-link-copy"; // not "rinnalla-…": the workers' worker clears those
const PAGE = new URL(self.registration.scope).pathname.replace(/\/$/, "");
const COPY = PAGE + "/offline";
const STYLES = {{ asset("styles.css") | tojson }}; // this release's: the copy looks like the page

async function forgetCopy() {
  const cache = await caches.open(COPY_CACHE);
  await cache.delete(COPY);
}

async function refreshCopy() {
  const response = await fetch(COPY, { credentials: "same-origin", cache: "no-store" });
  if (response.ok) {
    const cache = await caches.open(COPY_CACHE);
    await cache.put(COPY, response);
    if (!(await cache.match(STYLES))) await cache.add(STYLES);
    return true;
  }
  if (response.status === 404 || response.status === 410) await forgetCopy();
  return false;
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(refreshCopy().catch(() => false));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(COPY_CACHE);
    for (const request of await cache.keys()) {
      const path = new URL(request.url).pathname;
      if (path.startsWith("/assets/") && path !== STYLES) await cache.delete(request); // an older release's
    }
    await self.clients.claim();
  })());
});

// The page asks once it is shown: the answer tells it the copy is on the phone.
self.addEventListener("message", (event) => {
  if (event.data?.type !== "refresh-copy") return;
  event.waitUntil((async () => {
    const ready = await refreshCopy().catch(() => false);
    event.source?.postMessage({ type: "copy", ready });
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === STYLES) {
    event.respondWith((async () => (await (await caches.open(COPY_CACHE)).match(STYLES)) || fetch(request))());
    return;
  }
  if (request.mode !== "navigate" || url.pathname !== PAGE) return;
  event.respondWith((async () => {
    try {
      const response = await fetch(request);
      if (response.status === 404 || response.status === 410) await forgetCopy();
      return response;
    } catch {
      const copy = await (await caches.open(COPY_CACHE)).match(COPY);
      return copy || Response.error();
    }
  })());
});

// A reminder to the client: always shown; it names no one. A tap opens this link.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  event.waitUntil(self.registration.showNotification(data.title || "Rinnalla", {
    body: data.body || "", tag: data.tag || "rinnalla", icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const target = new URL(PAGE, self.location.origin).href;
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const same = windows.find((client) => client.url.split("#")[0] === target);
    return same ? same.focus() : self.clients.openWindow(target);
  })());
});
