"""The package runs where pip puts it: a wheel installed into a fresh virtualenv outside the
checkout migrates, loads demo data and serves pages, scripts and files from an empty folder.

Slow (a wheel build and a real `pip install`), so it runs once, in the SQLite half of the suite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import live_server

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        os.environ.get("RINNALLA_TEST_DB") == "postgres", reason="runs once per suite, in the SQLite half"
    ),
]


def _run(*command: str | Path, **kwargs) -> str:
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    place = tmp_path_factory.mktemp("dist")
    # Built from a copy: setuptools builds in the source folder and would leave build/ behind.
    source = place / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", ".test-data", "build", "*.egg-info", "__pycache__", ".mypy_cache", "data"
        ),
    )
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", place, source)
    return next(place.glob("rinnalla-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The `rinnalla` command of the wheel installed into a new virtualenv."""
    place = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "venv", place / "venv")
    _run(place / "venv" / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    return place / "venv" / "bin" / "rinnalla"


def test_the_wheel_carries_every_web_and_migration_file(wheel):
    in_checkout = {
        path.relative_to(ROOT).as_posix()
        for folder in ("web", "migrations")
        for path in (ROOT / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {
            name.removeprefix("server/_bundled/") for name in archive.namelist() if name.startswith("server/_bundled/")
        }
    assert in_checkout - in_wheel == set()
    assert not any("__pycache__" in name for name in in_wheel)


def _clean_env(data_dir: Path) -> dict[str, str]:
    # Nothing of the test run's database or of this checkout: the installed package alone.
    keep = {"PATH", "HOME", "LANG", "TMPDIR"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    return {**env, "DATA_DIR": str(data_dir), "MFA_REQUIRED_ROLES": ""}


async def test_wheel_migrates_and_serves_from_an_empty_folder(installed, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    env = _clean_env(tmp_path / "data")
    _run(installed, "migrate", cwd=folder, env=env)
    assert "demo" in _run(installed, "demo", cwd=folder, env=env).lower()
    async with live_server(rinnalla=[str(installed)], env=env, cwd=str(folder)) as (base_url, _process):
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await http.get("/readyz")).status_code == 200
            login = await http.get("/login")
            assert login.status_code == 200 and 'name="password"' in login.text
            stylesheet = re.search(r'href="(/assets/[^"]+\.css)"', login.text)
            assert stylesheet, login.text[:2000]
            for path in (stylesheet.group(1), "/sw.js", "/manifest.webmanifest"):
                answer = await http.get(path)
                assert answer.status_code == 200, (path, answer.status_code)
    assert not list(folder.iterdir()), "the commands wrote into the folder they were run from"


async def test_migrate_names_a_missing_folder_instead_of_the_database(installed, tmp_path):
    site_packages = next(installed.parent.parent.glob("lib/python*/site-packages"))
    bundled = site_packages / "server" / "_bundled" / "migrations"
    hidden = bundled.with_name("migrations-hidden")
    bundled.rename(hidden)
    try:
        done = subprocess.run(
            [str(installed), "migrate"],
            capture_output=True,
            text=True,
            env=_clean_env(tmp_path / "data"),
            cwd=tmp_path,
            check=False,
        )
    finally:
        hidden.rename(bundled)
    assert done.returncode != 0
    assert "migrations" in done.stderr and "DATABASE_URL" not in done.stderr, done.stderr
