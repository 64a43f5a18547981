"""What a built wheel and sdist will carry, checked from the sources without building.

Building takes minutes, so `.ci/run` builds the packages and smoke-tests the wheel in a
fresh venv without Node.js (`.ci/wheel_smoke.py`); these tests keep the configuration that
makes that work from drifting.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import jupyter_codeagent

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_JSON: dict[str, Any] = json.loads((ROOT / "package.json").read_text())
HATCH_BUILD: dict[str, Any] = PYPROJECT["tool"]["hatch"]["build"]


def test_the_version_has_one_source_package_json() -> None:
    assert "version" not in PYPROJECT["project"]
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"] == {"source": "nodejs"}


def test_the_package_reports_package_json_version() -> None:
    assert Version(jupyter_codeagent.__version__) == Version(PACKAGE_JSON["version"]), (
        f"{jupyter_codeagent.__file__} reports {jupyter_codeagent.__version__}: this source tree "
        "was never built (`pip install -e .` writes jupyter_codeagent/_version.py), or was "
        "built before package.json's version changed"
    )


def test_the_built_packages_carry_the_version_file() -> None:
    hooks = list(HATCH_BUILD["hooks"])
    assert HATCH_BUILD["hooks"]["version"]["path"] == "jupyter_codeagent/_version.py"
    # `jlpm build:prod` cleans the tree first, _version.py included; the version hook
    # must write it afterwards or the wheel ships without it (it reported 0.0.0.dev0).
    assert hooks.index("jupyter-builder") < hooks.index("version"), hooks
    assert (
        "from ._version import __version__" in (ROOT / "jupyter_codeagent/__init__.py").read_text()
    )
    for target in HATCH_BUILD.get("targets", {}).values():
        assert not any("_version" in pattern for pattern in target.get("exclude", []))


def test_the_wheel_installs_the_prebuilt_labextension_and_enables_the_server_extension() -> None:
    name = PACKAGE_JSON["name"]
    output_dir = PACKAGE_JSON["jupyterlab"]["outputDir"]
    assert HATCH_BUILD["targets"]["wheel"]["shared-data"] == {
        output_dir: f"share/jupyter/labextensions/{name}",
        "install.json": f"share/jupyter/labextensions/{name}/install.json",
        "jupyter-config/server-config": "etc/jupyter/jupyter_server_config.d",
    }
    # The sdist carries the built frontend, so a wheel built from it needs no Node.js.
    assert output_dir in HATCH_BUILD["targets"]["sdist"]["artifacts"]
    builder = HATCH_BUILD["hooks"]["jupyter-builder"]
    assert f"{output_dir}/package.json" in builder["ensured-targets"]
    assert set(builder["skip-if-exists"]) <= set(builder["ensured-targets"])
    assert jupyter_codeagent._jupyter_labextension_paths() == [
        {"src": "labextension", "dest": name}
    ]
    server_config = json.loads(
        (ROOT / "jupyter-config/server-config/jupyter_codeagent.json").read_text()
    )
    assert server_config["ServerApp"]["jpserver_extensions"] == {"jupyter_codeagent": True}


def test_binder_environment_agrees_with_pyproject() -> None:
    environment = yaml.safe_load((ROOT / "binder/environment.yml").read_text())
    pins: dict[str, str] = {}
    for dependency in environment["dependencies"]:
        name, _, spec = str(dependency).partition(" ")
        pins[name] = spec.replace(" ", "")
    requirements = {
        Requirement(line).name: Requirement(line).specifier
        for line in PYPROJECT["project"]["dependencies"]
    }
    for name in ("jupyterlab", "jupyter_server"):
        assert SpecifierSet(pins[name]) == requirements[name], name
    python = Version(pins["python"].lstrip("="))
    assert python in SpecifierSet(PYPROJECT["project"]["requires-python"])
    assert "nodejs" in pins, "postBuild builds the frontend from source"
    post_build = (ROOT / "binder/postBuild").read_text()
    assert "python -m pip install ." in post_build


def test_readme_binder_link_opens_this_repository() -> None:
    repository = PACKAGE_JSON["repository"]["url"]
    found = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", repository)
    assert found, repository
    owner, name = found.groups()
    assert f"https://mybinder.org/v2/gh/{owner}/{name}/" in (ROOT / "README.md").read_text()


def test_changelog_says_what_this_version_brings() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## (\S+)", changelog, re.M)
    assert PACKAGE_JSON["version"] in headings, headings
