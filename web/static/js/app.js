// Rinnalla page script (ES modules, no build step). Everything here is an enhancement: every
// form also works as a plain HTML form without JavaScript.

import { enhanceClientForm, forgetChosenEdit } from "./client-edits.js";
import { CHANNEL, counts, drain, nextRetryAt } from "./outbox.js";
import { forgetFieldCopy, keepFieldCopyFresh } from "./field-copy.js";
import { showFieldCopy } from "./offline-pages.js";
import { enhanceReferralForm } from "./referral-form.js";
import { enhanceOutboxPage, showOutbox } from "./outbox-page.js";
import { forgetPicklist, refreshPicklist } from "./picklist.js";
import { keyOf } from "./seal.js";
import { offerInstall, registerServiceWorker } from "./pwa.js";
import { enhancePushPanel, recheckSubscription } from "./push.js";
import { forgetUser, isShell, pageUserId, queueUser, rememberLanguage, rememberUser, tokens } from "./session.js";
import { enhanceServices } from "./services.js";
import { plural } from "./texts.js";
import { enhanceVisitForm } from "./visit-form.js";
import { askByDeviceId, pageAsksToWipe, wipePhone } from "./wipe.js";

const TIMER_MS = 30 * 1000;

document.documentElement.classList.add("js");

// htmx requests that are not form posts (hx-post on a button) carry the CSRF token in the
// header Litestar reads; the token comes from the csrftoken cookie (not HttpOnly by design).
document.addEventListener("htmx:configRequest", (event) => {
  const token = tokens.cookie();
  if (token) event.detail.headers["x-csrftoken"] = token;
});

// While an htmx request is under way its form and target say so to a screen reader (aria-busy);
// htmx itself greys the indicator (hx-indicator) and disables the button (hx-disabled-elt), so a
// second tap in the rain does not send twice.
function busy(event, on) {
  for (const element of [event.detail.elt, event.detail.target]) {
    if (!element) continue;
    if (on) element.setAttribute("aria-busy", "true");
    else element.removeAttribute("aria-busy");
  }
}
document.addEventListener("htmx:beforeRequest", (event) => busy(event, true));
document.addEventListener("htmx:afterRequest", (event) => busy(event, false));

// A page restored from the back-forward cache still holds the id of the visit it sent: clear it,
// or the next visit typed into that page would be taken for a replay of the first.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const id of document.querySelectorAll("form[data-visit-form] input[name=id]")) id.value = "";
});

async function showQueueStatus(userId) {
  const status = document.getElementById("outbox-status");
  if (!status) return;
  const { waiting, attention } = userId ? await counts(userId) : { waiting: 0, attention: 0 };
  status.textContent = attention ? plural("attention", attention) : plural("waiting", waiting);
  status.classList.toggle("outbox-status--alert", attention > 0);
  status.hidden = waiting + attention === 0;
}

// Sending waiting visits: on load, when the network returns, when the app comes to the front,
// on a timer while open, and when a paused retry falls due (whoever's attempt paused it).
function keepSending(userId, channel) {
  let retryTimer = null;
  const scheduleRetry = async () => {
    clearTimeout(retryTimer);
    const due = await nextRetryAt(userId);
    if (due) retryTimer = setTimeout(send, Math.max(due - Date.now(), 0) + 50);
  };
  const send = async () => {
    await drain(userId, tokens).catch(() => null);
    await scheduleRetry();
  };
  channel.addEventListener("message", scheduleRetry);
  send();
  window.addEventListener("online", send);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") send();
  });
  setInterval(send, TIMER_MS);
}

function confirmLogout(userId) {
  for (const form of document.querySelectorAll("form[data-logout-form]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { total } = await counts(userId);
      if (total && !confirm(plural("logout_confirm", total))) return;
      await forgetUser(userId);
      HTMLFormElement.prototype.submit.call(form);
    });
  }
}

// Marks the page once this phone can log visits with no network: the app shell is stored,
// and the user's key and pick list are on the phone (styles and tests can rely on it).
async function markReadyForOffline(registration, userId) {
  if (!registration || !userId) return;
  await navigator.serviceWorker.ready;
  if (await keyOf(userId)) document.documentElement.dataset.offlineReady = "true";
}

// A step that needs the network or storage may fail; the steps after it must still run.
async function tryStep(step) {
  try {
    return await step();
  } catch {
    return null;
  }
}

async function main() {
  // A lead wiped this phone (a lost phone): its data goes before anything reads or writes it.
  if (pageAsksToWipe()) {
    await tryStep(wipePhone);
    document.documentElement.dataset.wiped = "true"; // done (styles and tests may rely on it)
  } else if (!pageUserId() && !isShell()) {
    // A page of the server with nobody logged in: whoever used this phone has no session now.
    await tryStep(forgetPicklist);
    if (await tryStep(() => askByDeviceId(tokens.cookie()))) document.documentElement.dataset.wiped = "true";
  }
  const registration = registerServiceWorker();
  offerInstall();
  await tryStep(rememberLanguage);
  const loggedIn = pageUserId();
  // Taking the user's keys is a round trip to the server (2 s on a slow phone network): it runs
  // while the visit form is enhanced, which needs only what the phone holds already.
  const remembering = loggedIn ? tryStep(() => rememberUser(loggedIn)) : null;
  // A page from the server with no user (the login page): no live session, so the day's copy goes.
  if (!loggedIn && !isShell()) await tryStep(forgetFieldCopy);
  const userId = await tryStep(queueUser);
  // Forms first: a visit typed here must reach the queue even if a later step fails.
  for (const form of document.querySelectorAll("form[data-visit-form]")) await tryStep(() => enhanceVisitForm(form));
  // With this user's keys already on the phone a visit is sealed into the queue at once; the first
  // time on a phone, only once the keys have come.
  const visitFormsOnly = !document.querySelector("form[data-client-edit-form]");
  if (visitFormsOnly && userId && (await tryStep(() => keyOf(userId)))) document.documentElement.dataset.formsReady = "true";
  await remembering;
  for (const form of document.querySelectorAll("form[data-client-edit-form]")) await tryStep(() => enhanceClientForm(form));
  await tryStep(forgetChosenEdit);
  document.documentElement.dataset.formsReady = "true"; // a visit typed now goes to the queue
  const outboxList = enhanceOutboxPage();
  enhanceServices();
  await tryStep(showFieldCopy);
  await tryStep(enhanceReferralForm);
  await tryStep(enhancePushPanel);
  const pushUrl = loggedIn ? "/api/v1/push/subscriptions"
    : document.querySelector("[data-push-panel][data-link-path]")?.dataset.subscribe;
  if (pushUrl) tryStep(() => recheckSubscription(pushUrl));
  if (typeof BroadcastChannel === "undefined") return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.addEventListener("message", () => {
    showQueueStatus(userId);
    if (outboxList) showOutbox(outboxList);
  });
  await tryStep(() => showQueueStatus(userId));
  if (!userId) return;
  if (loggedIn) {
    confirmLogout(loggedIn);
    await tryStep(() => refreshPicklist(loggedIn));
    await tryStep(() => keepFieldCopyFresh(loggedIn));
  }
  markReadyForOffline(await registration, userId);
  keepSending(userId, channel);
}

main();
