"""Rounds is Apache-2.0, and the third-party licences of what it ships are listed, up to date."""

from __future__ import annotations

import importlib.util
import json
import shutil
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "third_party_licenses", ROOT / "scripts" / "third-party-licenses.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    if shutil.which("node") is None:
        pytest.fail("node is needed to list what the front-end build ships")
    return _generator()


@pytest.fixture(scope="module")
def shipped(generator):
    return generator.shipped_packages()


def _lock() -> dict:
    return json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))


def test_the_project_says_apache_2_everywhere():
    """Do LICENSE, pyproject.toml and package.json all name Apache-2.0?"""
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["license"] == (
        "Apache-2.0"
    )


def test_the_listing_finds_what_the_build_ships(shipped):
    """Does the probe of the build see the bundled and copied packages we know of?"""
    assert shipped["node_modules/htmx.org"] == ["copied"]
    assert shipped["node_modules/idb"] == ["bundled"]
    assert "bundled" in shipped["node_modules/workbox-precaching"]
    # Build tools and devDependencies are not shipped.
    assert "node_modules/esbuild" not in shipped
    assert "node_modules/lighthouse" not in shipped
    # Every shipped package is a runtime dependency in the lock.
    packages = _lock()["packages"]
    assert all(key in packages and not packages[key].get("dev") for key in shipped)


def test_third_party_licenses_is_up_to_date(generator, shipped):
    """Is THIRD_PARTY_LICENSES.md exactly what the generator writes from the lock and the build?"""
    expected = generator.render(shipped, _lock())
    written = (ROOT / "THIRD_PARTY_LICENSES.md").read_text(encoding="utf-8")
    assert written == expected, "run .venv/bin/python scripts/third-party-licenses.py"


def test_a_new_package_or_version_changes_the_file(generator, shipped):
    """Would a package added to the bundle, or a version bumped in the lock, be noticed?"""
    lock = _lock()
    before = generator.render(shipped, lock)
    lock["packages"]["node_modules/idb"]["version"] = "9.9.9"
    assert generator.render(shipped, lock) != before
    more = dict(shipped, **{"node_modules/esbuild": ["bundled"]})
    assert "| esbuild |" in generator.render(more, _lock())


def test_the_label_font_is_the_listed_font_package():
    """Is the font the PDFs embed (webapp/labels/fonts.py) the one listed with its licence?"""
    from webapp.labels import fonts

    key = "/".join(fonts.PACKAGE_DIR.parts[:-1])
    assert key in _generator().FONT_PACKAGES
    assert _lock()["packages"][key]["license"] == "OFL-1.1"
