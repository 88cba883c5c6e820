// "Waiting on this phone": the queue of the phone's user, read from the phone itself.
// Visits the server objected to are shown with its words, to be fixed or deleted by hand:
// nothing is ever dropped without the user saying so.

import { discard, drain, itemsOf, summaryOf } from "./outbox.js";
import { loadPicklist } from "./picklist.js";
import { queueUser, tokens } from "./session.js";
import { plural, text } from "./texts.js";

const STATE_TEXT = { waiting: "state_waiting", needs_fix: "state_needs_fix", blocked: "state_blocked",
  sealed: "state_sealed" };

function who(payload, clients) {
  if (!payload) return text("state_locked");
  if (!payload.client_id) return plural("anonymous", Number(payload.anonymous_count || 0));
  const client = clients.find((entry) => String(entry.id) === String(payload.client_id));
  return client ? client.pseudonym : text("client_unknown", Number(payload.client_id));
}

function when(payload) {
  if (!payload?.occurred_at) return "";
  return new Date(payload.occurred_at).toLocaleString(document.documentElement.lang || "fi",
    { dateStyle: "short", timeStyle: "short" });
}

function problem(item) {
  if (item.state === "needs_fix") return text("draft_errors");
  if (item.state !== "blocked") return "";
  return text(item.status === 404 ? "blocked_404" : item.status === 409 ? "blocked_409" : "blocked_other");
}

function renderItem(template, item, payload, clients, onDelete) {
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.id = item.id;
  row.dataset.state = item.state;
  row.querySelector("[data-who]").textContent = who(payload, clients);
  row.querySelector("[data-when]").textContent = when(payload);
  const badge = row.querySelector("[data-state]");
  badge.textContent = text(STATE_TEXT[item.state] ?? "state_waiting");
  badge.classList.toggle("badge--alert", item.state !== "waiting");
  const message = problem(item);
  const problemLine = row.querySelector("[data-problem]");
  problemLine.textContent = message;
  problemLine.hidden = !message;
  const errors = row.querySelector("[data-errors]");
  errors.replaceChildren(...(item.errors ?? []).map((error) => {
    const line = document.createElement("li");
    line.textContent = error.message;
    return line;
  }));
  errors.hidden = !(item.errors ?? []).length;
  if (item.state !== "waiting") {
    row.querySelector("[data-actions]").hidden = false;
    const fix = row.querySelector("[data-fix]");
    const anonymous = payload && !payload.client_id ? "&anonymous=true" : "";
    fix.href = `/visits/new?draft=${encodeURIComponent(item.id)}${anonymous}`;
    fix.hidden = item.state === "sealed";
    row.querySelector("[data-delete]").addEventListener("click", () => onDelete(item.id));
  }
  return row;
}

export async function showOutbox(list) {
  const template = document.getElementById("outbox-item");
  const empty = document.getElementById("outbox-empty");
  const userId = await queueUser();
  const items = userId ? await itemsOf(userId) : [];
  const { clients } = userId ? await loadPicklist(userId) : { clients: [] };
  const rows = [];
  for (const item of items) {
    const payload = await summaryOf(userId, item);
    rows.push(renderItem(template, item, payload, clients, async (id) => {
      if (!confirm(text("delete_confirm"))) return;
      await discard(id);
      await showOutbox(list);
    }));
  }
  list.replaceChildren(...rows);
  empty.hidden = rows.length > 0;
}

export function enhanceOutboxPage() {
  const list = document.getElementById("outbox-list");
  if (!list) return;
  showOutbox(list);
  document.getElementById("outbox-send")?.addEventListener("click", async () => {
    const userId = await queueUser();
    if (userId) await drain(userId, tokens);
    await showOutbox(list);
  });
  return list;
}
