// Today, the caseload and a client card with no network: the service worker answers those
// addresses with a shell page (pages/offline_copy.html) and this fills it from the phone's
// sealed copy of the pair's day (field-copy.js). Only text is set, never HTML.

import { loadFieldCopy } from "./field-copy.js";
import { queueUser } from "./session.js";
import { plural, text } from "./texts.js";

const DAY_MS = 24 * 60 * 60 * 1000;

// Dates as the server writes them in Finland (sv-FI: 11.12.2026, not 2026-12-11).
const LOCALES = { fi: "fi-FI", sv: "sv-FI", en: "en-GB" };

function language() {
  return LOCALES[document.documentElement.lang] ?? "fi-FI";
}

function format(value, zone, options) {
  return new Intl.DateTimeFormat(language(), { timeZone: zone, ...options }).format(new Date(value));
}

const timeOf = (value, zone) => format(value, zone, { hour: "2-digit", minute: "2-digit" });
const dateOf = (value, zone) => format(value, zone, { day: "numeric", month: "numeric", year: "numeric" });
const dayAndTime = (value, zone) => format(value, zone, { weekday: "short", day: "numeric", month: "numeric",
  hour: "2-digit", minute: "2-digit" });

function localDay(zone, moment = new Date()) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(moment); // YYYY-MM-DD
}

function daysUntil(isoDay, zone) {
  return Math.round((Date.parse(isoDay) - Date.parse(localDay(zone))) / DAY_MS);
}

// "tilanne klo 14.05": the time of the copy, with its date when it is not from today.
function stampOf(copy) {
  const taken = new Date(copy.generated_at);
  const when = localDay(copy.zone, taken) === localDay(copy.zone)
    ? timeOf(taken, copy.zone) : `${dateOf(taken, copy.zone)} ${timeOf(taken, copy.zone)}`;
  return text("copy_stamp").replace("%(time)s", when);
}

function row({ href, title, meta, badge, alert }) {
  const item = document.getElementById("copy-row").content.firstElementChild.cloneNode(true);
  const link = item.querySelector("a");
  link.href = href;
  item.querySelector("[data-title]").textContent = title;
  item.querySelector("[data-meta]").textContent = meta;
  const mark = item.querySelector("[data-badge]");
  mark.textContent = badge ?? "";
  mark.hidden = !badge;
  mark.classList.toggle("badge--alert", Boolean(alert));
  return item;
}

function fillList(root, name, rows) {
  root.querySelector(`[data-list="${name}"]`).replaceChildren(...rows.map(row));
  root.querySelector(`[data-empty="${name}"]`).hidden = rows.length > 0;
}

const clientHref = (id) => `/clients/${encodeURIComponent(id)}`;
const joined = (...parts) => parts.filter(Boolean).join(" · ");

function releaseBadge(days) {
  return days === 0 ? text("copy_today") : plural("copy_days", days);
}

function followupRow(followup, zone, withClient) {
  const overdue = localDay(zone, new Date(followup.due_at)) < localDay(zone); // YYYY-MM-DD compare
  return { href: clientHref(followup.client_id), title: withClient ? followup.pseudonym : followup.note,
    meta: joined(withClient ? followup.note : "", dayAndTime(followup.due_at, zone)),
    badge: overdue ? text("copy_overdue") : "", alert: overdue };
}

function showToday(root, copy) {
  const { zone } = copy;
  fillList(root, "releases", copy.releases.map((release) => ({ ...release, days: daysUntil(release.release_date, zone) }))
    .filter((release) => release.days >= 0)
    .map((release) => ({ href: clientHref(release.client_id), title: release.pseudonym,
      meta: joined(dateOf(release.release_date, "UTC"), release.institution),
      badge: releaseBadge(release.days), alert: release.days <= 7 })));
  fillList(root, "followups", copy.followups.map((followup) => followupRow(followup, zone, true)));
  fillList(root, "appointments", copy.appointments.map((appointment) => ({
    href: clientHref(appointment.client_id), title: appointment.pseudonym,
    meta: joined(appointment.with_whom, appointment.place), badge: timeOf(appointment.starts_at, zone) })));
  document.getElementById("copy-today").hidden = false;
}

function nextAppointmentText(next, zone) {
  return next ? joined(dayAndTime(next.starts_at, zone), next.with_whom, next.place) : text("copy_no_appointment");
}

function showCaseload(root, copy) {
  fillList(root, "clients", copy.clients.map((client) => ({
    href: clientHref(client.id), title: client.pseudonym,
    // No-break spaces: a phone number is read whole, never split over two lines beside a badge.
    meta: joined(client.phone?.replace(/ /g, "\u00a0"), client.next_appointment
      ? text("copy_next").replace("%(when)s", dayAndTime(client.next_appointment.starts_at, copy.zone)) : ""),
    badge: client.open_followups.length ? plural("copy_followups", client.open_followups.length) : "" })));
  document.getElementById("copy-caseload").hidden = false;
}

function showClient(root, copy) {
  const id = Number(location.pathname.match(/^\/clients\/(\d+)/)?.[1]);
  const client = copy.clients.find((entry) => entry.id === id);
  if (!client) {
    document.getElementById("copy-client-unknown").hidden = false;
    return;
  }
  const { zone } = copy;
  root.querySelector("[data-copy-title]").textContent = client.pseudonym;
  document.title = `${client.pseudonym} – Rinnalla`;
  root.querySelector("[data-log-visit]").href = `/visits/new?client_id=${encodeURIComponent(client.id)}`;
  root.querySelector("[data-phone]").textContent = client.phone || "–";
  if (client.phone) {
    root.querySelector("[data-call]").href = `tel:${client.phone.replace(/\s+/g, "")}`;
    root.querySelector("[data-call-row]").hidden = false;
  }
  root.querySelector("[data-next]").textContent = nextAppointmentText(client.next_appointment, zone);
  const days = client.release_date ? daysUntil(client.release_date, zone) : -1;
  if (days >= 0) {
    root.querySelector("[data-release-days]").textContent = days === 0 ? text("copy_released_today")
      : plural("copy_release_in", days);
    root.querySelector("[data-release-date]").textContent = joined(dateOf(client.release_date, "UTC"),
      client.institution);
    root.querySelector("[data-release]").hidden = false;
  }
  fillList(root, "client-followups", client.open_followups.map((followup) =>
    followupRow({ ...followup, client_id: client.id }, zone, false)));
  document.getElementById("copy-client").hidden = false;
}

const RENDERERS = { today: showToday, caseload: showCaseload, client: showClient };

export async function showFieldCopy() {
  const root = document.querySelector("[data-field-copy]");
  if (!root) return;
  const userId = await queueUser();
  const copy = userId ? await loadFieldCopy(userId) : null;
  if (!copy) return; // nothing kept (or logged out): the page says it needs a connection
  document.getElementById("copy-missing").hidden = true;
  const stamp = document.getElementById("copy-stamp");
  stamp.querySelector("[data-stamp]").textContent = stampOf(copy);
  stamp.hidden = false;
  RENDERERS[root.dataset.fieldCopy]?.(root, copy);
  document.documentElement.dataset.fieldCopyShown = "true"; // filled (tests and styles rely on it)
}
