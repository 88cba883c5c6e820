"""Dependencies point one way: domains may use each other's services and tables but never each
other's routes; `server/web` (the shared HTTP kernel) uses no domain; only the push transport
speaks Web Push. The app factory (`server/app.py`) and the command line put the parts together.

A domain is a folder of `server/` with its own Piccolo app (tables, migrations). A route module is
one that exports `ROUTES`.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
