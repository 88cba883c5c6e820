// The service directory on the phone: filtering in place (it works with no network, on the
// copy the service worker keeps), and keeping that copy fresh whenever the page is online.

function matches(item, words, category) {
  return (!category || item.dataset.category === category) && words.every((word) => item.dataset.search.includes(word));
}

function filter(form) {
  const words = form.elements.q.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const category = form.elements.category.value;
  let shown = 0;
  for (const item of document.querySelectorAll("[data-service]")) {
    item.hidden = !matches(item, words, category);
    if (!item.hidden) shown += 1;
  }
  document.getElementById("services-none").hidden = shown > 0;
}

// The offline copy of this page in the user's language (a shell page: no personal data).
async function refreshOfflineCopy() {
  const release = document.querySelector('meta[name="rinnalla-release"]')?.content;
  if (!release || !("caches" in self) || document.querySelector('meta[name="rinnalla-shell"]')) return;
  const cache = await caches.open(`rinnalla-${release}`);
  await cache.add(new Request(`/shell/${document.documentElement.lang}/services`, { cache: "reload" }));
  document.documentElement.dataset.servicesKept = "true"; // this list will open with no network
}

export function enhanceServices() {
  const form = document.querySelector("form[data-services-search]");
  if (!form) return;
  form.addEventListener("input", () => filter(form));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    filter(form);
  });
  filter(form);
  refreshOfflineCopy().catch(() => {});
}
