// The visit form, with or without network. Every save goes the same way: the visit is sealed
// into the phone's queue first, then sent; so a visit is never only in a request that a
// stairwell can swallow. Online, the server's answer comes at once (saved, or what to fix);
// offline, the visit waits and the form is ready for the next one.

import { drain, enqueue, itemById, openItem, SYNC_TAG } from "./outbox.js";
import { loadPicklist } from "./picklist.js";
import { keysOf } from "./seal.js";
import { isShell, queueUser, tokens } from "./session.js";
import { text } from "./texts.js";

const SINGLE = ["client_id", "anonymous_count", "kind", "occurred_at", "place", "notes", "next_followup_on",
  "followup_note", "refer_service_id", "referral_note"];
const MANY = ["themes", "actions", "workers"];

export function payloadOf(form) {
  const data = new FormData(form);
  const payload = { id: data.get("id") };
  for (const name of SINGLE) {
    const value = data.get(name);
    if (typeof value === "string" && value.trim() !== "") payload[name] = value;
  }
  for (const name of MANY) payload[name] = data.getAll(name);
  payload.together_with_client = data.get("together_with_client") !== null;
  return payload;
}

function fill(form, payload) {
  for (const [name, value] of Object.entries(payload)) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    for (const field of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = typeof value === "boolean" ? value : values.includes(field.value);
      } else if (field.tagName === "SELECT" && value && !field.querySelector(`option[value="${CSS.escape(values[0])}"]`)) {
        field.append(new Option(text("client_unknown", Number(values[0])), values[0], true, true));
      } else {
        field.value = values[0] ?? "";
      }
    }
  }
}

function localNow() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 16);
}

function fieldLabel(form, name) {
  const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
  const label = field && (field.id && form.querySelector(`label[for="${CSS.escape(field.id)}"]`));
  const legend = field?.closest("fieldset")?.querySelector("legend");
  return (label || legend)?.textContent.trim() ?? "";
}

function showMessage(form, message) {
  const box = document.getElementById("visit-queued");
  if (!box) return;
  box.querySelector("[data-message]").textContent = message;
  box.hidden = !message;
  if (message) box.scrollIntoView({ block: "start" });
}

function showProblems(form, heading, errors) {
  const box = document.getElementById("draft-errors");
  if (!box) return;
  box.querySelector("[data-message]").textContent = heading;
  const list = box.querySelector("[data-list]");
  list.replaceChildren(...errors.map((error) => {
    const item = document.createElement("li");
    const label = fieldLabel(form, error.field);
    item.textContent = label ? `${label}: ${error.message}` : error.message;
    return item;
  }));
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  for (const error of errors) form.querySelector(`[name="${CSS.escape(error.field)}"]`)?.setAttribute("aria-invalid", "true");
  box.hidden = !heading;
  if (heading) box.scrollIntoView({ block: "start" });
}

function problemOf(status) {
  if (status === 422) return text("draft_errors");
  if (status === 404) return text("blocked_404");
  if (status === 409) return text("blocked_409");
  return text("blocked_other");
}

function readyForNext(form) {
  form.reset();
  form.querySelector("input[name=id]").value = "";
  const when = form.querySelector("input[name=occurred_at]");
  if (when) when.value = localNow();
}

function destination(visit) {
  return visit?.client_id ? `/clients/${visit.client_id}?saved=visit` : "/?saved=visit";
}

async function requestBackgroundSync() {
  const registration = await navigator.serviceWorker?.getRegistration();
  await registration?.sync?.register(SYNC_TAG).catch(() => {});
}

function setBusy(form, busy) {
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = busy;
}

function submitWithoutScripts(form) {
  // The plain HTML route: the server stores the visit (or shows what to fix) itself.
  const token = tokens.cookie();
  const field = form.querySelector("input[name=_csrf_token]");
  if (token && field) field.value = token;
  HTMLFormElement.prototype.submit.call(form);
}

function newVisitId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // RFC 4122 version 4, for older Safari
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Seals the visit into the phone's queue; null when this phone has no key for anyone yet.
async function queueVisit(form) {
  const idField = form.querySelector("input[name=id]");
  if (!idField.value) idField.value = newVisitId(); // made now, never by the server
  const userId = await queueUser();
  const keys = userId && (await keysOf(userId));
  if (!keys?.key || !keys.public_key) return null;
  const payload = payloadOf(form);
  await enqueue(userId, keys, payload);
  return { userId, id: idField.value, payload };
}

// Sends the queue now and tells what became of this visit, reading it back from the phone:
// the service worker may have sent it meanwhile, which is as good.
async function sendAndReport(form, { userId, id, payload }) {
  const summary = await drain(userId, tokens);
  const sent = summary.visits.find((entry) => entry.id === id);
  const item = await itemById(userId, id);
  if (sent || !item) {
    location.assign(destination(sent?.visit ?? { client_id: payload.client_id }));
    return;
  }
  if (item.state !== "waiting") {
    showMessage(form, "");
    showProblems(form, problemOf(item.status), item.errors ?? []);
    return;
  }
  requestBackgroundSync(); // Chromium sends it even if this page is closed first
  const why = summary.stopped === "login" ? "saved_login" : summary.stopped === "offline" ? "saved_offline" : "saved_retry";
  showProblems(form, "", []);
  readyForNext(form);
  showMessage(form, text(why));
}

async function serverAnswers() {
  try {
    return (await fetch("/healthz", { cache: "no-store", signal: AbortSignal.timeout?.(5000) })).ok;
  } catch {
    return false;
  }
}

async function save(form) {
  let queued;
  try {
    queued = await queueVisit(form);
  } catch {
    queued = null; // no IndexedDB here (a private window): the plain route still works online
  }
  if (queued) return sendAndReport(form, queued);
  // No key on this phone: only the plain route can take the visit, and only if the server is
  // really there (navigator.onLine is true on a network without data).
  if (await serverAnswers()) submitWithoutScripts(form);
  else showMessage(form, text("no_user"));
}

async function fillFromPicklist(form, userId) {
  const { clients, workers } = await loadPicklist(userId);
  const select = form.querySelector("select[data-picklist=clients]");
  if (select) {
    const wanted = new URLSearchParams(location.search).get("client_id");
    select.append(...clients.map((client) => new Option(client.pseudonym, client.id, false, String(client.id) === wanted)));
  }
  const chips = form.querySelector("fieldset[data-picklist=workers]");
  if (chips && workers.length) {
    const template = chips.querySelector("template");
    for (const worker of workers) {
      const chip = template.content.cloneNode(true);
      const input = chip.querySelector("input");
      input.value = worker.id;
      input.checked = worker.default;
      input.defaultChecked = worker.default;
      chip.querySelector("span").textContent = worker.display_name;
      chips.append(chip);
    }
    chips.hidden = false;
  }
}

// /visits/new?draft=<id>: a waiting visit the server objected to, back in the form to be fixed.
async function openDraft(form, userId) {
  const id = new URLSearchParams(location.search).get("draft");
  if (!id || !userId) return;
  const item = await itemById(userId, id);
  const payload = item && (await openItem(userId, item));
  if (!payload) return;
  fill(form, payload);
  showProblems(form, problemOf(item.status), item.errors ?? []);
}

export async function enhanceVisitForm(form) {
  const userId = await queueUser();
  if (isShell() && userId) await fillFromPicklist(form, userId);
  const when = form.querySelector("input[data-now]");
  if (when && !when.value) when.value = localNow();
  await openDraft(form, userId);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setBusy(form, true);
    try {
      await save(form);
    } finally {
      setBusy(form, false);
    }
  });
}

