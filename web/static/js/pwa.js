// The installable app: the service worker, its updates, and the hint to install.

const HINT_DISMISSED = "rinnalla-install-hint-dismissed";
const HINT_PAUSE_MS = 30 * 24 * 3600 * 1000;

// A new version installs in the background and waits; the page offers it, and takes it with
// one reload when the user taps: never half of one version and half of another. Other open tabs
// are not reloaded under the user's thumb (a visit may be half typed there): they offer a reload.
function offerUpdates(registration) {
  const banner = document.getElementById("update-banner");
  const button = document.getElementById("update-now");
  const hadController = Boolean(navigator.serviceWorker.controller);
  let requestedHere = false;
  const offer = (worker) => {
    if (!hadController || !banner) return; // the first install: nothing to update
    banner.hidden = false;
    button.onclick = () => {
      requestedHere = true;
      worker.postMessage({ type: "skip-waiting" });
    };
  };
  if (registration.waiting) offer(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed") offer(worker);
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (!hadController || reloading) return;
    if (!requestedHere && banner) {
      banner.hidden = false;
      button.onclick = () => location.reload();
      return;
    }
    reloading = true;
    location.reload();
  });
  // An app left open for days still learns of new versions.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") registration.update().catch(() => {});
  });
}

// A client's link page has a worker of its own, scoped to the link (the workers' app never lands
// on a client's phone); it keeps an offline copy, and says when the copy is on the phone.
async function registerLinkWorker(meta) {
  const registration = await navigator.serviceWorker.register(meta.content, { scope: meta.dataset.scope });
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type === "copy") document.documentElement.dataset.linkCopy = event.data.ready ? "ready" : "none";
  });
  const ready = await navigator.serviceWorker.ready;
  ready.active?.postMessage({ type: "refresh-copy" });
  return registration;
}

export async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return null;
  const linkWorker = document.querySelector('meta[name="rinnalla-link-worker"]');
  const clientPage = document.querySelector('meta[name="rinnalla-client-page"]');
  if (clientPage) {
    // A client's page: never the workers' app. An ended link takes its own worker with it.
    if (clientPage.content === "ended") {
      const own = await navigator.serviceWorker.getRegistration(location.pathname).catch(() => null);
      if (own && new URL(own.scope).pathname === location.pathname) await own.unregister();
    }
    return null;
  }
  try {
    if (linkWorker) return await registerLinkWorker(linkWorker);
    // One address per release (the worker is a fixed file that reads its release from it), so a
    // new release installs a worker of its own; "none": its modules never come from the HTTP cache.
    const release = document.querySelector('meta[name="rinnalla-release"]').content;
    const registration = await navigator.serviceWorker.register(`/sw.js?release=${encodeURIComponent(release)}`, {
      type: "module",
      scope: "/",
      updateViaCache: "none",
    });
    offerUpdates(registration);
    return registration;
  } catch {
    return null; // e.g. plain http on another host: the app works, only not offline
  }
}

function hintPaused() {
  return Date.now() - Number(localStorage.getItem(HINT_DISMISSED) || 0) < HINT_PAUSE_MS;
}

export function offerInstall() {
  const hint = document.getElementById("install-hint");
  if (!hint || location.pathname !== "/" || hintPaused()) return;
  if (matchMedia("(display-mode: standalone)").matches || navigator.standalone) return;
  document.getElementById("install-later").addEventListener("click", () => {
    localStorage.setItem(HINT_DISMISSED, String(Date.now()));
    hint.hidden = true;
  });
  if (/iphone|ipad|ipod/i.test(navigator.userAgent)) {
    // Safari has no install prompt: say where the menu item is.
    hint.querySelector("[data-install-ios]").hidden = false;
    document.getElementById("install-now").hidden = true;
    hint.hidden = false;
    return;
  }
  window.addEventListener("beforeinstallprompt", (event) => {
    event.preventDefault();
    hint.hidden = false;
    document.getElementById("install-now").onclick = async () => {
      hint.hidden = true;
      await event.prompt();
    };
  });
}
