// The JavaScript linter (scripts/check.sh runs it): web/static/js and the service worker.
import js from "@eslint/js";
import globals from "globals";

// web/templates/link_sw.js (the client link's worker) is a Jinja template: each one-line `{{ ... }}` becomes a string literal of the
// same length (lines and columns of findings stay true; the values are release data rendered with
// `tojson`, not code), and each `{% ... %}` becomes blanks. The rest is linted as written; a tag
// over several lines stays as it is and fails the parse, so nothing is skipped silently.
const jinja = {
  meta: { name: "jinja-template" },
  preprocess: (text) => [text
    .replace(/\{\{[^\n]*?\}\}/g, (tag) => `"${"_".repeat(tag.length - 2)}"`)
    .replace(/\{%[^\n]*?%\}/g, (tag) => tag.replace(/[^\n]/g, " "))],
  postprocess: (messages) => messages.flat(),
  supportsAutofix: false,
};

// The strict CSP allows no eval: a linter finding is cheaper than a blocked script in the street.
const ownRules = {
  "no-eval": "error",
  "no-implied-eval": "error",
  "no-new-func": "error",
  "no-unused-vars": ["error", { ignoreRestSiblings: true }], // `{ key: _drop, ...rest }` drops a key
};

export default [
  { ignores: ["node_modules/", "web/static/vendor/", ".venv/", "bench/"] },
  {
    files: ["web/static/js/**/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: { ...globals.browser, htmx: "readonly" } },
    rules: { ...js.configs.recommended.rules, ...ownRules },
  },
  {
    files: ["web/static/sw.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: { ...globals.serviceworker } },
    rules: { ...js.configs.recommended.rules, ...ownRules },
  },
  {
    files: ["web/templates/*.js"],
    processor: jinja,
    languageOptions: { ecmaVersion: "latest", sourceType: "module", globals: { ...globals.serviceworker } },
    rules: { ...js.configs.recommended.rules, ...ownRules },
  },
];
