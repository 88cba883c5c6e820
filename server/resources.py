"""Where the web files and the migrations are, in a clone and in an installed wheel alike.

The repository keeps `web/` and `migrations/` at its top level. A wheel carries them inside the
package as `server/_bundled/` (setup.py), because nothing outside the package is installed. A
clone or an editable install has no `_bundled` folder and uses the top-level ones.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from server.settings import PROJECT_ROOT


class MissingResources(RuntimeError):
    """A folder the app needs was not installed; the message names it for the operator."""


def _folder(name: str) -> Path:
    bundled = Path(str(files("server").joinpath("_bundled", name)))
    return bundled if bundled.is_dir() else PROJECT_ROOT / name


WEB_DIR = _folder("web")
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
MIGRATIONS_DIR = _folder("migrations")


def migrations_folder(app_name: str) -> str:
    """The folder of one Piccolo app's migrations (a path string, as AppConfig wants it)."""
    return str(MIGRATIONS_DIR / app_name)


def missing_folders() -> list[str]:
    """The installed folders that are not there: empty when the app can serve and migrate."""
    needed = [TEMPLATE_DIR, STATIC_DIR, TEMPLATE_DIR / "base.html", STATIC_DIR / "js", MIGRATIONS_DIR]
    return [str(path) for path in needed if not path.exists()]
