"""QR matrices as qrcode makes them, in a fraction of the time, as one integer per row.

qrcode spends most of a code's time choosing the mask: it lays the whole symbol out
nine times and scores eight of them with per-module Python loops. Every label of a sheet
has the same version, so here the layout (function patterns, where data bits go, which
modules each mask flips) is worked out once per version, the data is placed once, and
each mask is an XOR of row integers scored with bit and string operations. The scoring
is qrcode's own (``qrcode.util.lost_point``, including its test-mode blank format area),
so the chosen mask and the symbol are identical to ``qrcode``'s; a test checks that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from qrcode import util

_RUNS = re.compile(r"0{5,}|1{5,}")
_DARK_RUNS = re.compile(r"1+")
_FINDER_LIKE = ("10111010000", "00001011101")


@dataclass(frozen=True)
class Layout:
    """Everything about a version and error level that does not depend on the data."""

    size: int
    positions: tuple[tuple[int, int], ...]  # where data bits go, in placement order
    test_rows: tuple[int, ...]  # dark function modules, format area blank (as qrcode scores)
    final_rows: tuple[tuple[int, ...], ...]  # per mask: dark function modules with format
    mask_rows: tuple[tuple[int, ...], ...]  # per mask: the data modules it flips


def _blank(version: int, error_correction: int) -> qrcode.QRCode:
    q = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    n = q.modules_count = version * 4 + 17
    q.modules = [[None] * n for _ in range(n)]
    q.setup_position_probe_pattern(0, 0)
    q.setup_position_probe_pattern(n - 7, 0)
    q.setup_position_probe_pattern(0, n - 7)
    q.setup_position_adjust_pattern()
    q.setup_timing_pattern()
    return q


def _rows(modules) -> tuple[int, ...]:
    return tuple(sum(1 << c for c, v in enumerate(row) if v) for row in modules)


def _format(version: int, error_correction: int, test: bool, mask: int) -> tuple[int, ...]:
    q = _blank(version, error_correction)
    q.setup_type_info(test, mask)
    if version >= 7:
        q.setup_type_number(test)
    return _rows(q.modules)


@lru_cache(maxsize=32)
def layout(version: int, error_correction: int) -> Layout:
    """The data-independent part of a symbol, worked out once per version and level."""
    q = _blank(version, error_correction)
    q.setup_type_info(True, 0)
    if version >= 7:
        q.setup_type_number(True)
    n = q.modules_count
    modules = q.modules
    positions = []
    row, inc = n - 1, -1
    # The same zigzag as qrcode's map_data.
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    positions.append((row, c))
            row += inc
            if row < 0 or n <= row:
                row -= inc
                inc = -inc
                break
    masks = []
    for pattern in range(8):
        flips = [0] * n
        test = util.mask_func(pattern)
        for r, c in positions:
            if test(r, c):
                flips[r] |= 1 << c
        masks.append(tuple(flips))
    return Layout(
        size=n,
        positions=tuple(positions),
        test_rows=_format(version, error_correction, True, 0),
        final_rows=tuple(_format(version, error_correction, False, m) for m in range(8)),
        mask_rows=tuple(masks),
    )


def penalty(rows: list[int], n: int) -> int:
    """qrcode's ``lost_point`` of a symbol given as row integers (bit c = column c)."""
    row_text = [format(r, f"0{n}b")[::-1] for r in rows]  # character c is column c
    # Rows and columns in one string; "2" ends every run and pattern at a line's end.
    text = "2".join(row_text) + "2" + "2".join(map("".join, zip(*row_text, strict=True)))
    runs = _RUNS.findall(text)
    lost = sum(map(len, runs)) - 2 * len(runs)
    lost += 40 * (text.count(_FINDER_LIKE[0]) + text.count(_FINDER_LIKE[1]))
    inner = (1 << (n - 1)) - 1  # columns 0 .. n-2: a 2x2 block's left column
    for a, b in zip(rows, rows[1:], strict=False):
        same_v = ~(a ^ b)
        lost += 3 * (same_v & (same_v >> 1) & ~(a ^ (a >> 1)) & inner).bit_count()
    dark = sum(r.bit_count() for r in rows)
    percent = float(dark) / (n**2)
    return lost + int(abs(percent * 100 - 50) / 5) * 10


@dataclass(frozen=True)
class Matrix:
    """A QR symbol as one integer per row (bit c set: column c is dark), without quiet zone."""

    size: int
    rows: tuple[int, ...]
    version: int
    mask: int

    def to_lists(self) -> list[list[bool]]:
        """The symbol as qrcode's ``get_matrix()`` gives it (border 0)."""
        return [[bool(r >> c & 1) for c in range(self.size)] for r in self.rows]

    def dark_runs(self):
        """(row, first column, end column) of each horizontal run of dark modules."""
        for r, bits in enumerate(self.rows):
            text = format(bits, f"0{self.size}b")[::-1]
            for run in _DARK_RUNS.finditer(text):
                yield r, run.start(), run.end()


def make(data: str, error_correction: int) -> Matrix:
    """The QR symbol qrcode would make for ``data``: one segment in the mode qrcode picks for
    the whole text (alphanumeric for an upper-case URL, else bytes), the smallest version."""
    q = qrcode.QRCode(error_correction=error_correction, border=0)
    q.add_data(data, optimize=0)
    q.best_fit()
    version = q.version
    lay = layout(version, error_correction)
    codewords = util.create_data(version, error_correction, q.data_list)
    n = lay.size
    data_rows = [0] * n
    limit = len(codewords) * 8
    for i, (r, c) in enumerate(lay.positions):
        if i < limit and codewords[i >> 3] >> (7 - (i & 7)) & 1:
            data_rows[r] |= 1 << c
    best, best_mask = None, 0
    for pattern in range(8):
        flips = lay.mask_rows[pattern]
        rows = [f | (d ^ m) for f, d, m in zip(lay.test_rows, data_rows, flips, strict=True)]
        lost = penalty(rows, n)
        if best is None or lost < best:
            best, best_mask = lost, pattern
    flips = lay.mask_rows[best_mask]
    final = tuple(
        f | (d ^ m) for f, d, m in zip(lay.final_rows[best_mask], data_rows, flips, strict=True)
    )
    return Matrix(n, final, version, best_mask)
