// Client edits through the phone's queue (kind "client_edit"), beside the visits: the same sealing
// and sending as visits (outbox.js), only another request. The edit carries the version and the
// values the form was read with; when a partner saved meanwhile, the server answers 409 on replay
// and the edit stays on the phone as "needs a choice". Opening it posts the edit to the form
// route as a plain form, and the server shows the same side-by-side choice as for a stale save
// online (server/casework/conflicts.py). The edit leaves the phone only when the choice is saved
// or dropped: the client page then says `outbox_done=<id>`.

import { discard, enqueue, itemById, openItem } from "./outbox.js";
import { isUnlocked, keysOf, unlock } from "./seal.js";
import { queueUser, tokens } from "./session.js";
import { text } from "./texts.js";

export const KIND = "client_edit";
const NOT_FIELDS = new Set(["_csrf_token", "version", "outbox_id"]);
const LIST_FIELDS = new Set(["themes"]);
const FLAG_FIELDS = ["consent_data", "consent_reminders"];

export function isClientEdit(payload) {
  return payload?.kind === KIND;
}

// The request that replays an edit: a PATCH based on the version the form was read with.
export function clientEditRequest(payload) {
  return { url: `/api/v1/clients/${encodeURIComponent(payload.client_id)}`, method: "PATCH",
    body: { ...payload.fields, version: payload.version } };
}

function newId() {
  return self.crypto.randomUUID ? self.crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

function editOf(form) {
  const data = new FormData(form);
  const fields = {};
  const base = {};
  for (const name of new Set(data.keys())) {
    if (NOT_FIELDS.has(name)) continue;
    const values = data.getAll(name).map(String);
    const target = name.startsWith("base__") ? base : fields;
    const key = name.replace(/^base__/, "");
    target[key] = LIST_FIELDS.has(key) ? values : values[0];
  }
  fields.themes ??= []; // unticked boxes are not sent at all: the form means "none"
  for (const flag of FLAG_FIELDS) fields[flag] ??= "";
  return { id: newId(), kind: KIND, client_id: form.dataset.clientId, version: data.get("version"), fields, base,
    occurred_at: new Date().toISOString() };
}

// The edit form with no network: the change goes to the phone's queue instead of being lost.
export async function enhanceClientForm(form) {
  form.addEventListener("submit", async (event) => {
    if (navigator.onLine !== false) return; // the plain form post, answered by the server
    event.preventDefault();
    const userId = await queueUser();
    const keys = userId && (await keysOf(userId));
    const message = document.getElementById("client-queued");
    if (!keys?.key || !keys.public_key) {
      if (message) message.textContent = text("no_user");
    } else {
      await enqueue(userId, keys, editOf(form));
      if (message) message.textContent = text("client_saved_offline");
    }
    if (message) message.hidden = false;
  });
}

// "Waiting on this phone": a client edit that needs a choice opens the server's choice page.
export function offerChoice(row, item, userId) {
  if (item.state !== "needs_choice") return;
  const choose = row.querySelector("[data-fix]");
  choose.hidden = false;
  const label = choose.querySelector(".hds-button__label");
  if (label) label.textContent = text("choose");
  choose.href = "#";
  choose.addEventListener("click", (event) => {
    event.preventDefault();
    openChoice(userId, item.id);
  });
}

function hidden(form, name, value) {
  for (const one of Array.isArray(value) ? value : [value]) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = one ?? "";
    form.append(input);
  }
}

async function openChoice(userId, id) {
  const token = await tokens.current();
  if (!isUnlocked(userId) && !(await unlock(userId, token).catch(() => false))) return;
  const item = await itemById(userId, id);
  const payload = item && (await openItem(userId, item));
  if (!isClientEdit(payload)) return;
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/clients/${encodeURIComponent(payload.client_id)}/edit`;
  form.hidden = true;
  hidden(form, "_csrf_token", token);
  hidden(form, "version", payload.version);
  hidden(form, "outbox_id", item.id);
  for (const [name, value] of Object.entries(payload.base ?? {})) hidden(form, `base__${name}`, value);
  for (const [name, value] of Object.entries(payload.fields ?? {})) hidden(form, name, value);
  document.body.append(form);
  HTMLFormElement.prototype.submit.call(form);
}

// The client page after a choice was saved or dropped: that edit leaves the phone.
export async function forgetChosenEdit() {
  const params = new URLSearchParams(location.search);
  const id = params.get("outbox_done");
  if (!id) return;
  const userId = await queueUser();
  const item = userId && (await itemById(userId, id));
  if (item) await discard(id);
  params.delete("outbox_done");
  history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}${location.hash}`);
}
