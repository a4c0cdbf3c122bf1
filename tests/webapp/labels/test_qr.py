"""The label QR matrices: the very symbols qrcode makes, full QR (never Micro), readable."""

from __future__ import annotations

import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from tests.webapp.labels.support import read_qr_texts
from webapp.labels import qr, sheets

LEVELS = st.sampled_from([ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H])
TEXT = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHJKMNPQRSTVWXYZ0123456789:/.-_?=&",
    min_size=1,
    max_size=260,
)


@settings(max_examples=150, deadline=None)
@given(text=TEXT, level=LEVELS)
def test_the_fast_matrix_is_exactly_qrcodes(text, level):
    """Is the symbol (version, mask, every module) the one qrcode itself would make?"""
    reference = qrcode.QRCode(error_correction=level, border=0)
    reference.add_data(text, optimize=0)
    reference.make(fit=True)
    ours = qr.make(text, level)
    assert ours.version == reference.version
    assert ours.to_lists() == reference.get_matrix()


def test_the_penalty_is_qrcodes_lost_point():
    """Does the integer scoring give qrcode's lost_point for every mask of a real symbol?"""
    from qrcode import util

    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0)
    reference.add_data("https://rounds.example.com/q/0123456789ABCDEF", optimize=0)
    reference.make(fit=True)
    for mask in range(8):
        reference.makeImpl(True, mask)
        rows = [sum(1 << c for c, v in enumerate(row) if v) for row in reference.modules]
        assert qr.penalty(rows, len(rows)) == util.lost_point(reference.modules)


def test_a_drawn_matrix_reads_back_and_is_a_full_qr():
    """Does a symbol drawn run by run read back as its text, as a full (not Micro) QR?"""
    url = "http://127.0.0.1:5000/q/7ZQ4K0M9X2V8B6N1"
    matrix = sheets.qr_matrix(url)
    assert matrix.size >= 21  # Micro QR symbols are 11 to 17 modules
    px, quiet = 6, 4 * 6
    image = Image.new("1", (matrix.size * px + 2 * quiet,) * 2, 1)
    sheets.draw_matrix(ImageDraw.Draw(image), matrix, quiet, quiet, px)
    assert read_qr_texts(image.convert("L")) == [url]
