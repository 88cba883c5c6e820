"""The page's ES modules joined into one file, so a first visit fetches one script instead of 19.

On a phone network every request waits its round trip (2 s on DevTools' Slow 3G) and HTTP/1.1
fetches at most six at a time: 19 modules cost three or four rounds even when preloaded. The
modules stay as they are (no build step, each one readable and linted on its own, the service
worker imports them from /static/js); this joins `js/app.js` and what it imports, at start-up,
once per release:

- each module becomes a function run once, in import order, whose result is its exports;
- `import { a, b as c } from "./x.js"` becomes `const { a, b: c } = <x's exports>`, and
  `import * as x` the exports object itself;
- an import that closes a cycle (x imports y, which imports x) cannot read exports that do not
  exist yet: it becomes a function that calls through when called (only functions may be
  imported that way; anything else is refused here, at start-up, not in a browser).

Only the forms our modules use are understood (one import per line, `export` before a
declaration); anything else raises, so a new form of import fails the tests, not a phone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

IMPORT = re.compile(r'^import\s+(?:\{([^}]*)\}|\*\s+as\s+(\w+))\s+from\s+"\./([\w-]+\.js)";[ \t]*$', re.M)
EXPORT = re.compile(r"^export\s+(?:async\s+)?(function\*?|const|let|class)\s+(\w+)", re.M)
ANY_IMPORT_OR_EXPORT = re.compile(r"^\s*(import|export)\b(?!\s*\()", re.M)


class BundleError(ValueError):
    """A module uses a form of import or export the joiner does not understand."""


def _imports(source: str) -> list[tuple[str, str | None, str]]:
    """(names, namespace alias, file) of each import line."""
    return [(names or "", alias, file) for names, alias, file in IMPORT.findall(source)]


def _exports(source: str) -> dict[str, str]:
    """Exported name → its kind (function, const, ...)."""
    return {name: kind for kind, name in EXPORT.findall(source)}


def _order(directory: Path, entry: str) -> tuple[list[str], set[tuple[str, str]]]:
    """Modules in the order they run (each after what it imports), and the imports that close a cycle."""
    order: list[str] = []
    visiting: set[str] = set()
    back_edges: set[tuple[str, str]] = set()

    def visit(name: str) -> None:
        visiting.add(name)
        for _names, _alias, file in _imports((directory / name).read_text()):
            if file in visiting:
                back_edges.add((name, file))
            elif file not in order:
                visit(file)
        visiting.discard(name)
        order.append(name)

    visit(entry)
    return order, back_edges


def _bindings(importer: str, names: str, alias: str | None, file: str, exports: dict[str, str], cyclic: bool) -> str:
    target = f"modules[{json.dumps(file)}]"
    if alias:
        if cyclic:
            raise BundleError(f"{importer}: `import * as {alias}` closes a cycle with {file}")
        return f"const {alias} = {target};"
    pairs = []
    for part in filter(None, (piece.strip() for piece in names.split(","))):
        name, _, local = (word.strip() for word in part.partition(" as "))
        if name not in exports:
            raise BundleError(f"{importer} imports {name}, which {file} does not export")
        if cyclic and exports[name] != "function":
            raise BundleError(f"{importer} imports {name} from {file} in a cycle, and it is not a function")
        pairs.append((name, local or name))
    if cyclic:  # called through when called: by then the other module has run
        return "\n".join(f"const {local} = (...args) => {target}.{name}(...args);" for name, local in pairs)
    return (
        "const { "
        + ", ".join(name if name == local else f"{name}: {local}" for name, local in pairs)
        + " } = "
        + target
        + ";"
    )


def bundle(directory: Path, entry: str) -> str:
    """`entry` and every module it imports (from `directory`), as one script that runs the same."""
    order, back_edges = _order(directory, entry)
    sources = {name: (directory / name).read_text() for name in order}
    exports = {name: _exports(source) for name, source in sources.items()}
    parts = [f"// {entry} and the modules it imports, joined by server/web/script_bundle.py.", "const modules = {};"]
    for name in order:
        source = sources[name]
        bindings = [
            _bindings(name, names, alias, file, exports[file], (name, file) in back_edges)
            for names, alias, file in _imports(source)
        ]
        body = EXPORT.sub(lambda found: found.group(0).removeprefix("export").lstrip(), IMPORT.sub("", source))
        if stray := ANY_IMPORT_OR_EXPORT.search(body):
            raise BundleError(f"{name}: cannot join `{stray.group(0).strip()} …`")
        names = ", ".join(exports[name])
        parts.append(
            f"\n// ---- {name}\nmodules[{json.dumps(name)}] = (() => {{\n"
            + "\n".join(bindings)
            + f"\n{body.strip()}\nreturn Object.freeze({{ {names} }});\n}})();"
        )
    return "\n".join(parts) + "\n"
