"""Code text as people type it: the Crockford base32 alphabet and its normalisation.

A leaf (it imports nothing of the app): the labels area mints and prints codes with it, and
the sync merge reads the codes phones send with it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
# Crockford's decoding rules: the letters people confuse with digits read as digits.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def normalize(text: str) -> str:
    """Uppercase, drop separators and read confusable letters as Crockford does."""
    return "".join(text.split()).replace("-", "").upper().translate(_ALIASES)


# ------------------------------------------------------------ what a desk types or scans
# A desk form takes what a USB scanner types (the label's whole URL, then Enter), the long
# code, or the short code printed under the QR — several in a row, one per line. Reading the
# text is here (a leaf, like the rest); finding the label, and the short code's check
# character, are webapp/labels/codes.py's ``find_entries``.

LONG_MIN, LONG_MAX = 16, 32  # a label's long code (16 today; a little room either way)
SHORT_MAX = 8  # the short code under the QR: 7 characters and a check character
# Lines, tabs (some scanners end with a tab), commas and semicolons, in either script.
_SEPARATORS = re.compile(r"[\r\n\t,;，；、]+")


@dataclass(frozen=True)
class Entry:
    """One entry as typed or scanned, read: ``code`` normalized, or ``unread`` set."""

    text: str  # as given, trimmed and cut short (for messages)
    code: str = ""
    short: bool = False  # a short code (its check character is checked where it is looked up)
    unread: bool = False  # neither a label URL nor a code


def split_entries(text: str | None) -> list[str]:
    """The entries of a basket: one per line (or tab, comma, semicolon); a URL per space."""
    entries: list[str] = []
    for chunk in _SEPARATORS.split(text or ""):
        chunk = chunk.strip()
        if "/" in chunk:  # URLs hold no spaces: two scans on one line are two entries
            entries.extend(chunk.split())
        elif chunk:  # a code typed in groups ("G52F SHSG") is one entry
            entries.append(chunk)
    return entries


def _url_code(text: str) -> str | None:
    """The code segment of a label URL (``…/q/<code>`` or ``…/Q/<CODE>``), else None."""
    parts = urlsplit(text)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    path = parts.path if parts.netloc or text.startswith("/") else "/" + parts.path
    segments = path.rstrip("/").split("/")
    if len(segments) < 3 or segments[-2].lower() != "q":
        return None
    return unquote(segments[-1])


def read_entry(text: str) -> Entry:
    """Read one entry: a label URL (any case, any host), a long code or a short code."""
    # NFKC: an input method left on full-width types ｈｔｔｐｓ：／／… and Ｇ５２Ｆ.
    given = unicodedata.normalize("NFKC", str(text)).strip()
    shown = given[:80]
    raw = _url_code(given) if "/" in given else given
    if raw is None:
        return Entry(shown, unread=True)
    code = normalize(raw)
    if not code or any(c not in ALPHABET for c in code):
        return Entry(shown, unread=True)
    if len(code) <= SHORT_MAX:
        return Entry(shown, code, short=True)
    if LONG_MIN <= len(code) <= LONG_MAX:
        return Entry(shown, code)
    return Entry(shown, unread=True)
