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
