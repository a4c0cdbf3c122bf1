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
    assert runner.main([]) == 1
    table = capsys.readouterr().out
    assert "bench_aa: FAILED (RuntimeError" in table and " NO" in table
    assert "bb speed" in table and "42" in table
