"""Dependencies point one way: domains may use each other's services and tables but never each
other's routes; `server/web` (the shared HTTP kernel) uses no domain; only the push transport
speaks Web Push. The app factory (`server/app.py`) and the command line put the parts together.

A domain is a folder of `server/` with its own Piccolo app (tables, migrations). A route module is
one that exports `ROUTES`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _modules() -> dict[str, ast.Module]:
    return {
        _module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in SERVER.rglob("*.py")
        if "_bundled" not in path.parts
    }


def _imports(tree: ast.Module, name: str) -> set[str]:
    """Every module a module imports, at the top or inside functions, `from a import b` as a.b too."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                package = name.split(".")[: -node.level]
                base = ".".join([*package, base] if base else package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _domains() -> set[str]:
    return {path.parent.name for path in SERVER.glob("*/piccolo_app.py")}


def _route_modules(modules: dict[str, ast.Module]) -> set[str]:
    def exports_routes(tree: ast.Module) -> bool:
        return any(
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and any(
                isinstance(target, ast.Name) and target.id == "ROUTES"
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
            for node in tree.body
        )

    return {name for name, tree in modules.items() if exports_routes(tree)}


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in _domains() else None


MODULES = _modules()


def test_the_rules_see_the_code():
    assert {"casework", "accounts", "push"} <= _domains()
    assert "server.casework.api_routes" in _route_modules(MODULES)
    assert "server.web.limits" in _imports(MODULES["server.casework.api_routes"], "server.casework.api_routes")


def test_no_domain_imports_another_domains_routes():
    routes = _route_modules(MODULES)
    wrong = sorted(
        f"{name} imports {imported}"
        for name, tree in MODULES.items()
        if _domain_of(name)
        for imported in _imports(tree, name)
        if imported in routes and _domain_of(imported) not in (None, _domain_of(name))
    )
    assert wrong == []


def test_the_web_kernel_imports_no_domain():
    wrong = sorted(
        f"{name} imports {imported}"
        for name, tree in MODULES.items()
        if name.startswith("server.web.")
        for imported in _imports(tree, name)
        if _domain_of(imported)
    )
    assert wrong == []


def test_only_the_push_transport_uses_pywebpush():
    users = sorted(
        name
        for name, tree in MODULES.items()
        if any(imported.split(".")[0] == "pywebpush" for imported in _imports(tree, name))
    )
    assert users == ["server.push.transport"]


# The layers: every direct part of server/ (a folder, or a top-level module such as scope.py) is
# one node. An import counts wherever it stands: at the top of a module or inside a function (an
# import put inside a function to dodge a cycle is still a dependency, only a hidden one). Only
# `server.*` imports count; the parts' own imports of themselves do not.


def _part_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "server" else None


def _part_names() -> set[str]:
    modules = {path.stem for path in SERVER.glob("*.py")} - {"__init__"}
    return modules | {path.name for path in SERVER.iterdir() if path.is_dir() and any(path.glob("*.py"))}


def _part_graph(modules: dict[str, ast.Module]) -> dict[str, dict[str, list[str]]]:
    """part -> part it imports -> the `module imports module` lines that make that arrow."""
    names = _part_names()
    graph: dict[str, dict[str, list[str]]] = {}
    for name, tree in modules.items():
        source = _part_of(name)
        if source is None:
            continue
        for imported in sorted(_imports(tree, name)):
            target = _part_of(imported)
            if target in names and target != source:
                graph.setdefault(source, {}).setdefault(target, []).append(f"{name} imports {imported}")
    return graph


def _a_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str]:
    """One cycle of parts (first part repeated at the end), or [] when the arrows point one way."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(part: str) -> list[str]:
        state[part] = "open"
        path.append(part)
        for target in sorted(graph.get(part, {})):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[part] = "done"
        path.pop()
        return []

    for part in sorted(graph):
        if part not in state and (found := visit(part)):
            return found
    return []


def _explain(graph: dict[str, dict[str, list[str]]], cycle: list[str]) -> str:
    lines = [" -> ".join(cycle)]
    for source, target in zip(cycle, cycle[1:], strict=False):
        lines += [f"  {source} -> {target}:", *(f"    {why}" for why in graph[source][target][:5])]
    return "\n".join(lines)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert _a_cycle(graph) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b": ["x"]}, "b": {}}) == []
    function_level = ast.parse("def f():\n    from server.push.planner import plan_client\n")
    assert "server.push.planner" in _imports(function_level, "server.casework.clients")


# The parts from the ground up: each imports only parts below it. `wiring` hands upper parts'
# functions to the hooks of lower ones (casework's page parts and what a change means elsewhere,
# the planner's other reminder sources, the metrics read at scrape time).
LAYERS = [
    "settings",
    "timeutil",
    "i18n",
    "resources",
    "db",
    "piccolo_conf",
    "scope",
    "validation",
    "observability",
    "web",
    "accounts",
    "casework",
    "audit",
    "services",
    "release",
    "push",
    "pathway",
    "referrals",
    "rhythm",
    "dashboard",
    "offline",
    "ops",
    "demo",
    "wiring",
    "worker",
    "cli",
    "app",
]
# Imports that still point up, each a cycle still to break. The list only shrinks: a pair that
# no longer exists fails the test until it is struck from here.
#  - accounts -> casework, push: ending sessions forgets the user's phones and calendar addresses;
#    the settings page shows them. accounts -> rhythm: the team page shows worker terms.
#  - casework -> audit: the use log, break-the-glass and the disclosure log, which casework's
#    pages and writes call, live in audit, whose tables point at casework's clients.
STILL_UPWARD = {
    ("accounts", "casework"),
    ("accounts", "push"),
    ("accounts", "rhythm"),
    ("casework", "audit"),
}


def _upward(graph: dict[str, dict[str, list[str]]]) -> dict[tuple[str, str], list[str]]:
    rank = {part: index for index, part in enumerate(LAYERS)}
    return {
        (source, target): why
        for source, targets in graph.items()
        for target, why in targets.items()
        if rank[target] > rank[source]
    }


def test_every_part_has_a_layer():
    assert _part_names() <= set(LAYERS), "a new part of server/ takes its place in LAYERS"


def test_imports_point_down_the_layers():
    upward = _upward(_part_graph(MODULES))
    new = {pair: why[:5] for pair, why in upward.items() if pair not in STILL_UPWARD}
    assert new == {}, "these parts import a part above them (wire it in server/wiring.py, or move the code)"
    assert set(upward) == STILL_UPWARD, "an upward import is gone: strike it from STILL_UPWARD"


@pytest.mark.xfail(strict=True, reason="the cycles of STILL_UPWARD remain; strict: passing fails until removed")
def test_no_cycle_between_the_parts_of_server():
    graph = _part_graph(MODULES)
    assert "casework" in graph
    cycle = _a_cycle(graph)
    assert cycle == [], "the parts of server/ import each other in a circle:\n" + _explain(graph, cycle)


# Route modules are named one way: `routes.py` (a domain's pages) or `<topic>_routes.py`
# (`api_routes.py` for the JSON API). A module with a route handler or a ROUTES list is one.

HANDLER_DECORATORS = {"get", "post", "put", "patch", "delete", "route", "websocket"}


def _defines_handlers(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(called, ast.Name) and called.id in HANDLER_DECORATORS:
                    return True
    return False


def test_route_modules_are_named_one_way():
    routes = _route_modules(MODULES) | {name for name, tree in MODULES.items() if _defines_handlers(tree)}
    misnamed = sorted(name for name in routes if not name.rsplit(".", 1)[-1].endswith("routes"))
    assert misnamed == [], "route handlers belong in routes.py or <topic>_routes.py"
    without_routes = sorted(
        name for name in MODULES if name.rsplit(".", 1)[-1].endswith("routes") and name not in _route_modules(MODULES)
    )
    assert without_routes == [], "a module named *routes.py exports ROUTES"


# One outbox writes reminder rows: the planner, rhythm and the rest call it. The dispatcher claims
# rows and records what a send did; nothing else inserts, updates or deletes them.

REMINDER_TABLES = {"Reminder", "ReminderDelivery"}
REMINDER_WRITERS = {"server.push.outbox", "server.push.dispatcher"}
WRITE_METHODS = {"insert", "update", "delete", "raw"}


def _writes_reminders(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in REMINDER_TABLES
        ):
            found.append(f"{node.func.value.id}.{node.func.attr} (line {node.lineno})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = node.value.lower().replace('"', " ").split()
            for verb, table in zip(words, words[2:], strict=False):
                if verb in {"insert", "update", "delete"} and table.startswith("reminder"):
                    found.append(f"SQL {verb} on {table} (line {node.lineno})")
            for verb, table in zip(words, words[1:], strict=False):
                if verb == "update" and table.startswith("reminder"):
                    found.append(f"SQL update on {table} (line {node.lineno})")
    return found


def test_only_the_outbox_writes_reminder_rows():
    writers = {name: found for name, tree in MODULES.items() if (found := _writes_reminders(tree))}
    assert "server.push.outbox" in writers  # the check sees the writes it is about
    assert {name: found for name, found in writers.items() if name not in REMINDER_WRITERS} == {}
