"""Run every benchmark module and print one table: value, baseline, ratio, target."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import time
import traceback
from pathlib import Path

import bench
from bench.common import Row


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main(argv: list[str]) -> int:
    logging.disable(logging.WARNING)
    wanted = set(argv)
    rows: list[Row] = []
    failed = 0
    for info in sorted(
        pkgutil.iter_modules([str(Path(bench.__file__).parent)]), key=lambda m: m.name
    ):
        if not info.name.startswith("bench_"):
            continue
        if wanted and info.name.removeprefix("bench_") not in wanted:
            continue
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{info.name}")
            rows.extend(module.rows())
        except Exception as exc:  # one broken bench must not lose the others' rows
            traceback.print_exc()
            failed += 1
            rows.append(
                Row(f"{info.name}: FAILED ({type(exc).__name__}, traceback above)", 0, "",
                    target="runs", met=False)
            )  # fmt: skip
        print(f"  ran {info.name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    header = (
        "benchmark",
        "value",
        "unit",
        "baseline (same run)",
        "baseline",
        "ratio",
        "target",
        "met",
    )
    table = [header] + [
        (
            r.name,
            _fmt(r.value),
            r.unit,
            r.baseline_name,
            _fmt(r.baseline_value),
            _fmt(r.ratio),
            r.target,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
