// Rinnalla page script (ES module, no build step). Everything here is an enhancement:
// every form also works as a plain HTML form without JavaScript.

// htmx requests that are not form posts (hx-post on a button) carry the CSRF token in the
// header Litestar reads; the token comes from the csrftoken cookie (not HttpOnly by design).
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

document.addEventListener("htmx:configRequest", (event) => {
  const token = csrfToken();
  if (token) event.detail.headers["x-csrftoken"] = token;
});

document.documentElement.classList.add("js");

// A visit's id is made here, when the form is sent: never rendered by the server, so a cached
// copy of the form cannot give two visits one id. A second tap on Save reuses it (one visit).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-visit-form")) return;
  const id = form.querySelector("input[name=id]");
  if (id && !id.value && crypto.randomUUID) id.value = crypto.randomUUID();
});

// A page restored from the back-forward cache still holds the id of the visit it sent: clear it,
// or the next visit typed into that page would be taken for a replay of the first.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const id of document.querySelectorAll("form[data-visit-form] input[name=id]")) id.value = "";
});
