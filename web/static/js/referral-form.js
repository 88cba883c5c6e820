// "Refer a client here" from the service directory, with or without network. Like a visit, the
// referral is sealed into the phone's queue first (kind "referral", queue-kinds.js) and then
// sent; the id made here is stored once by the server, so a replay never makes a second one.

import { drain, enqueue, itemById, openItem, SYNC_TAG } from "./outbox.js";
import { holdForEditing, isEditable, unlockToEdit } from "./outbox-manage.js";
import { loadPicklist } from "./picklist.js";
import { keysOf } from "./seal.js";
import { isShell, queueUser, tokens } from "./session.js";
import { text } from "./texts.js";

function serviceIdFromPath() {
  return location.pathname.match(/^\/services\/(\d+)\/refer$/)?.[1] ?? null;
}

function say(message) {
  const box = document.getElementById("visit-queued");
  box.querySelector("[data-message]").textContent = message;
  box.hidden = !message;
  if (message) box.scrollIntoView({ block: "start" });
}

function showErrors(heading, errors) {
  const box = document.getElementById("draft-errors");
  box.querySelector("[data-message]").textContent = heading;
  box.querySelector("[data-list]").replaceChildren(...errors.map((error) => {
    const line = document.createElement("li");
    line.textContent = error.message;
    return line;
  }));
  box.hidden = !heading;
}

function payloadOf(form) {
  const select = form.elements.service_id;
  return {
    id: form.elements.id.value, kind: "referral", client_id: form.elements.client_id.value,
    service_id: select.value, service_name: select.selectedOptions[0]?.textContent.trim() ?? "",
    note: form.elements.note.value.trim(), occurred_at: new Date().toISOString(),
  };
}

async function fillClients(form, userId) {
  const { clients } = await loadPicklist(userId);
  const select = form.querySelector("select[data-picklist=clients]");
  select?.append(...clients.map((client) => new Option(client.pseudonym, client.id)));
}

async function openDraft(form, userId) {
  const id = new URLSearchParams(location.search).get("draft");
  let item = id && userId ? await itemById(userId, id) : null;
  if (!item) return;
  if (isEditable(item)) item = await holdForEditing(item);
  const payload = (await openItem(userId, item)) ?? ((await unlockToEdit(userId)) ? await openItem(userId, item) : null);
  if (!payload) {
    say(text("edit_locked"));
    window.addEventListener("online", () => openDraft(form, userId), { once: true });
    return;
  }
  form.elements.id.value = payload.id;
  form.elements.service_id.value = String(payload.service_id);
  if (!form.querySelector(`#client_id option[value="${CSS.escape(String(payload.client_id))}"]`)) {
    form.elements.client_id.append(new Option(text("client_unknown", Number(payload.client_id)), payload.client_id));
  }
  form.elements.client_id.value = String(payload.client_id);
  form.elements.note.value = payload.note ?? "";
  if (!isEditable(item)) showErrors(text("draft_errors"), item.errors ?? []);
}

async function save(form, userId) {
  if (!form.elements.id.value) form.elements.id.value = crypto.randomUUID();
  const keys = userId && (await keysOf(userId));
  if (!keys?.key || !keys.public_key) {
    if (navigator.onLine && !isShell()) HTMLFormElement.prototype.submit.call(form); // the plain route
    else say(text("no_user"));
    return;
  }
  const payload = payloadOf(form);
  await enqueue(userId, keys, payload);
  const summary = await drain(userId, tokens);
  const sent = summary.visits.find((entry) => entry.id === payload.id);
  const item = await itemById(userId, payload.id);
  if (sent || !item) {
    location.assign(`/clients/${encodeURIComponent(payload.client_id)}?saved=referral#referrals`);
    return;
  }
  if (item.state !== "waiting") {
    showErrors(text(item.status === 422 ? "draft_errors" : "blocked_other"), item.errors ?? []);
    return;
  }
  const registration = await navigator.serviceWorker?.getRegistration();
  await registration?.sync?.register(SYNC_TAG).catch(() => {});
  showErrors("", []);
  form.elements.id.value = "";
  form.elements.note.value = "";
  say(text(summary.stopped === "login" ? "saved_login" : "referral_queued"));
}

export async function enhanceReferralForm() {
  const form = document.querySelector("form[data-referral-form]");
  if (!form) return;
  const userId = await queueUser();
  const serviceId = serviceIdFromPath();
  if (isShell()) {
    if (userId) await fillClients(form, userId);
    if (serviceId) {
      form.elements.service_id.value = serviceId;
      form.action = `/services/${serviceId}/refer`;
    }
  }
  await openDraft(form, userId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.elements.client_id.value) {
      showErrors(text("draft_errors"), [{ message: text("choose_client") }]);
      return;
    }
    const buttons = form.querySelectorAll("button[type=submit]");
    for (const button of buttons) button.disabled = true;
    try {
      await save(form, userId);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
  document.documentElement.dataset.referralReady = "true";
}
