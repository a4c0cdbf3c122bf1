"""The benches are not run by the suite (bench/: `make bench`, timings belong there), but a
bench that no longer imports is found here, not by whoever next runs `make bench`: every
bench module imports, and each ``bench_*`` module offers the ``rows()`` bench/__main__ calls."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import bench

MODULES = sorted(m.name for m in pkgutil.iter_modules([str(Path(bench.__file__).parent)]))
# Locust's phones monkey-patch the process with gevent as they import: they run in a process of
# their own (bench/_cluster.py), and are imported in one here.
OWN_PROCESS = {"_phones"}


def test_the_benches_are_found():
    """Is the list below the real one (a wrong path would make every case vanish)?"""
    assert "bench_load" in MODULES and "bench_paper" in MODULES and "common" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_every_bench_module_imports(name):
    if name in OWN_PROCESS:
        done = subprocess.run(
            [sys.executable, "-c", f"import bench.{name}"], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return
    module = importlib.import_module(f"bench.{name}")
    if name.startswith("bench_"):
        assert callable(getattr(module, "rows", None)), f"bench.{name} has no rows()"


def test_a_broken_bench_leaves_the_others_rows(monkeypatch, capsys):
    """A bench that raises is a FAILED row and exit status 1; the benches after it still run
    and their rows are printed (a crash 20 minutes into `make bench` lost every row before)."""
    import types

    from bench import __main__ as runner
    from bench.common import Row

    def broken():
        raise RuntimeError("the bench broke")

    fakes = {
        "bench.bench_aa": types.SimpleNamespace(rows=broken),
        "bench.bench_bb": types.SimpleNamespace(rows=lambda: [Row("bb speed", 42, "ms")]),
    }
    infos = [types.SimpleNamespace(name=n.removeprefix("bench.")) for n in fakes]
    monkeypatch.setattr(runner.pkgutil, "iter_modules", lambda _paths: infos)
    monkeypatch.setattr(runner.importlib, "import_module", fakes.__getitem__)
    # The runner silences logging below ERROR for the whole process (a CLI's choice): not for
    # the tests after this one, whose logs it would swallow.
    monkeypatch.setattr(runner.logging, "disable", lambda _level: None)
    assert runner.main([]) == 1
    table = capsys.readouterr().out
    assert "bench_aa: FAILED (RuntimeError" in table and " NO" in table
    assert "bb speed" in table and "42" in table


def _imports_inside(path: Path) -> list[tuple[int, str, str]]:
    """Every ``from <project module> import <name>`` of a file, also those inside functions
    (where a bench imports what it needs late: importing the file does not run them)."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] in {"bench", "webapp", "sync", "tests"}
        ):
            found += [(node.lineno, node.module, a.name) for a in node.names]
    return found


@pytest.mark.parametrize("name", MODULES)
def test_every_name_a_bench_imports_late_exists(name):
    """Does every name a bench imports from the project, at the top or inside a function,
    still exist there (bench_rounds and bench_paper imported bench_review's renamed _login
    from inside a function, found only by running them)?"""
    path = Path(bench.__file__).parent / f"{name}.py"
    missing = []
    for line, module, attr in _imports_inside(path):
        if name in OWN_PROCESS and module.startswith("bench."):
            continue
        held = importlib.import_module(module)
        if not hasattr(held, attr):
            try:
                importlib.import_module(f"{module}.{attr}")
            except ImportError:
                missing.append(f"{path.name}:{line} from {module} import {attr}")
    assert not missing, missing
