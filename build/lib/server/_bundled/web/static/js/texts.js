// The words the scripts show, translated by the server into the page's language
// (server/offline/texts.py): read from a JSON data block, never built here.

let cache = null;

function all() {
  if (!cache) {
    const block = document.getElementById("rinnalla-texts");
    cache = block ? JSON.parse(block.textContent) : {};
  }
  return cache;
}

export function text(name, num) {
  const value = all()[name] ?? "";
  return num === undefined ? value : value.replace("%(num)d", String(num));
}

// Finnish, Swedish and English choose the plural form the same way: one, or other.
export function plural(name, num) {
  const forms = all()[name] ?? {};
  return (num === 1 ? forms.one : forms.other ?? "").replace("%(num)d", String(num));
}
