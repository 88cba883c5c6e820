"""The page's modules joined into one script (server/web/script_bundle.py) run as the modules do."""

import re
import shutil
import subprocess

import pytest

from server.resources import STATIC_DIR
from server.web.assets import asset_version
from server.web.script_bundle import BundleError, bundle

NODE = shutil.which("node")
pytestmark = pytest.mark.anyio
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed (npm ci installs ESLint with it)")


def run(script: str, tmp_path) -> str:
    path = tmp_path / "bundle.mjs"
    path.write_text(script)
    return subprocess.run([NODE, str(path)], check=True, capture_output=True, text=True, timeout=30).stdout


def write(tmp_path, **modules):
    for name, source in modules.items():
        (tmp_path / f"{name}.js").write_text(source)


@needs_node
def test_imports_aliases_namespaces_and_a_cycle_behave_as_modules_do(tmp_path):
    write(
        tmp_path,
        main='import { twice as double, hello } from "./b.js";\nimport * as c from "./c.js";\n'
        "const private_ = 1;\nconsole.log(double(c.THREE), hello(), c.count(), private_);\n",
        b='import { count } from "./c.js";\nimport { later } from "./helper.js";\n'
        "const private_ = 2;\nexport function twice(n) { return 2 * n + private_ - 2; }\n"
        "export const hello = () => later();\nexport async function unused() { return count(); }\n",
        helper='import { twice } from "./b.js";\nexport function later() { return `hi ${twice(1)}`; }\n',
        c="let calls = 0;\nexport const THREE = 3;\nexport function count() { calls += 1; return calls; }\n",
    )
    # helper imports b, which imports helper: the import closing the cycle calls through.
    assert run(bundle(tmp_path, "main.js"), tmp_path).split() == ["6", "hi", "2", "1", "1"]


def test_forms_it_does_not_understand_are_refused_at_start_up(tmp_path):
    write(tmp_path, a='import { X } from "./b.js";\nexport { X };\n', b="export const X = 1;\n")
    with pytest.raises(BundleError, match="cannot join"):
        bundle(tmp_path, "a.js")
    write(tmp_path, a='import { Y } from "./b.js";\n')
    with pytest.raises(BundleError, match="does not export"):
        bundle(tmp_path, "a.js")
    write(
        tmp_path,
        a='import { X } from "./b.js";\nexport const Z = 1;\n',
        b='import { Z } from "./a.js";\nexport const X = Z;\n',
    )
    with pytest.raises(BundleError, match="not a function"):
        bundle(tmp_path, "a.js")


@needs_node
def test_the_app_script_is_one_valid_module_with_every_module_in_it(tmp_path):
    script = bundle(STATIC_DIR / "js", "app.js")
    path = tmp_path / "app.mjs"
    path.write_text(script)
    subprocess.run([NODE, "--check", str(path)], check=True, timeout=30)
    joined = set(re.findall(r"^// ---- ([\w-]+\.js)$", script, re.M))
    assert joined == {path.name for path in (STATIC_DIR / "js").glob("*.js")}
    assert not re.search(r"^\s*(import|export)\b(?!\s*\()", script, re.M)


async def test_pages_load_the_joined_script_in_one_request(client, world):
    release = asset_version()
    page = (await client.get("/login")).text
    assert f'src="/assets/{release}/js/app.js"' in page and "modulepreload" not in page
    served = await client.get(f"/assets/{release}/js/app.js")
    assert served.status_code == 200 and "immutable" in served.headers["cache-control"]
    assert served.text == bundle(STATIC_DIR / "js", "app.js")
