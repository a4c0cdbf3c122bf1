"""The label QR symbols: the very ones qrcode makes, level H, alphanumeric, the smallest version."""

from __future__ import annotations

import pytest
import qrcode
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from qrcode import util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from tests.webapp.labels.support import read_qr_texts
from webapp.labels import printing, qr, sheets, stock

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


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://rounds.example.com", "HTTPS://ROUNDS.EXAMPLE.COM/Q/0123456789ABCDEF"),
        ("https://Rounds.Example.com/", "HTTPS://ROUNDS.EXAMPLE.COM/Q/0123456789ABCDEF"),
        ("http://127.0.0.1:5000", "HTTP://127.0.0.1:5000/Q/0123456789ABCDEF"),
        ("https://x.example:8443/ROUNDS", "HTTPS://X.EXAMPLE:8443/ROUNDS/Q/0123456789ABCDEF"),
        # A path is case-sensitive, and these characters are not in alphanumeric mode.
        ("https://x.example/rounds", "https://x.example/rounds/q/0123456789ABCDEF"),
        ("https://my_host.example", "https://my_host.example/q/0123456789ABCDEF"),
        ("http://[::1]:5000", "http://[::1]:5000/q/0123456789ABCDEF"),
        ("https://user:pw@x.example", "https://user:pw@x.example/q/0123456789ABCDEF"),
    ],
)
def test_the_label_url_is_upper_case_where_that_names_the_same_page(base, url):
    """Is the URL upper case (scheme, host, /Q/, code) only where that is the same address?"""
    assert printing.code_url(base, "0123456789abcdef".upper()) == url


@pytest.mark.parametrize(
    "base", ["https://rounds.example.com", "http://127.0.0.1:5000", "https://patrol.example.com.tw"]
)
def test_a_label_symbol_is_level_h_alphanumeric_and_the_smallest_version(base):
    """Is a label's QR level H, in alphanumeric mode, of the smallest version that holds it?"""
    url = printing.code_url(base, "0123456789ABCDEF")
    assert util.QRData(url).mode == util.MODE_ALPHA_NUM
    matrix = sheets.qr_matrix(url)
    assert stock.ERROR_CORRECTION == ERROR_CORRECT_H
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_H, border=0)
    reference.add_data(url, optimize=0)
    assert matrix.version == reference.best_fit()
    smaller = qrcode.QRCode(version=matrix.version - 1, error_correction=ERROR_CORRECT_H)
    smaller.add_data(url, optimize=0)
    with pytest.raises(qrcode.exceptions.DataOverflowError):
        smaller.make(fit=False)
    # The decoder agrees: level H, that version.
    px = 6
    image = Image.new("1", ((matrix.size + 8) * px,) * 2, 1)
    sheets.draw_matrix(ImageDraw.Draw(image), matrix, 4 * px, 4 * px, px)
    (read,) = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert (read.text, read.extra["ECLevel"], read.extra["Version"]) == (
        url,
        "H",
        str(matrix.version),
    )


def test_the_upper_case_url_is_a_smaller_symbol_with_larger_modules():
    """For a usual host, is the upper-case URL two versions smaller, with larger modules?"""
    upper = printing.code_url("https://rounds.example.com", "0123456789ABCDEF")
    lower = "https://rounds.example.com/q/0123456789ABCDEF"
    assert qr.make(upper, ERROR_CORRECT_H).version == 4  # 33 x 33
    assert qr.make(lower, ERROR_CORRECT_H).version == 6  # bytes at level H: 41 x 41
    unit, key = sheets.TEMPLATES["address-24"], sheets.TEMPLATES["key-tag"]
    n = qr.make(upper, ERROR_CORRECT_H).size
    # 9 dots = 0.76 mm on a unit label, 7 = 0.59 mm on a key tag (were 8 and 6).
    assert (sheets.module_px_for(unit, n), sheets.module_px_for(key, n)) == (9, 7)
