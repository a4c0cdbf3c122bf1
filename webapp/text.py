"""How typed text is read, one rule each, for every door it comes in by (a page's form, a query
string, /api JSON, a phone's sync op, a spreadsheet cell, a command line): plain Python, no
Flask, so sync/ and the CLI use the same rules as the forms.

- ``trim``: what is invisible at either end goes: whitespace (NBSP, the ideographic space) and
  the format characters (Unicode Cf: zero-width space and joiners, BOM, soft hyphen, word
  joiner, direction marks...), and the few other code points Unicode says draw nothing (the
  Hangul fillers, the combining grapheme joiner). Text made of nothing else is blank: "".
  Inside a name they stay: a ZWJ joins an emoji sequence or shapes the letters beside it.
- ``fold``: a name as it is kept: NFKC (full-width folded, ﷺ spelled out), runs of spaces as
  one, trimmed. Its length is the one to check against the column.
- ``too_long``: the one length check: text over its column's length is refused with a message
  (``webapp.forms.Longest`` beside a field, sync's ``Length`` on an op), never cut to fit.
"""

from __future__ import annotations

import re
import unicodedata

# Default_Ignorable_Code_Point outside Cf (Unicode's DerivedCoreProperties): code points that
# draw nothing. Variation selectors and the CGJ are marks on the character before them: at the
# end of a name they are kept (❤️ ends in U+FE0F); alone they are still nothing.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u17b4\u17b5")
_MARKS = re.compile("[\u034f\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef]")
_SPACES = re.compile(r"\s+")


def _tag(char: str) -> bool:
    # Tag characters spell a subdivision flag after its 🏴 (Scotland's ends in U+E007F).
    return "\U000e0020" <= char <= "\U000e007f"


def invisible(char: str) -> bool:
    """Whether a character draws nothing: whitespace, a format character (Cf), a filler or an
    ignorable mark."""
    return (
        char.isspace()
        or unicodedata.category(char) == "Cf"
        or char in _FILLERS
        or _MARKS.fullmatch(char) is not None
    )


def trim(text):
    """Text without what is invisible at either end; "" when nothing else is there. Anything
    but text is returned as it is (a form field's ``None``)."""
    if not isinstance(text, str):
        return text
    start, end = 0, len(text)
    while start < end and invisible(text[start]):
        start += 1
    while end > start:
        last = text[end - 1]
        if _tag(last) or _MARKS.fullmatch(last) or not invisible(last):
            break  # a flag's tags, a variation selector: part of what stands before them
        end -= 1
    return text[start:end]


def blank(text) -> bool:
    """Whether text is missing or holds nothing visible (None, "", " ", "\\u200b\\u3000")."""
    return not trim(text or "")


def too_long(text, limit: int) -> bool:
    """Whether text is longer than ``limit`` characters (code points, as a column counts them).
    Text that is too long is refused, never cut: what a person typed is kept or refused whole."""
    return isinstance(text, str) and len(text) > limit


def fold(text) -> str:
    """A name as it is kept: NFKC folded (full-width letters and digits, compatibility forms),
    each run of spaces one space, trimmed. Folding can lengthen (﷽ is 18 characters folded):
    check a length on what this gives."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    return trim(_SPACES.sub(" ", folded))


# An email address as the mail server takes it: one address, no display name, no comment, no
# quoted local part (RFC 5321's dot-atom, ASCII: our mail goes out without SMTPUTF8), a domain
# of letters, digits and hyphens (an internationalised one in its ASCII form).
MAX_EMAIL = 254  # RFC 5321's limit on a path, less its angle brackets
MAX_LOCAL = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# What makes one address two, a name and an address, or a header: never in one address.
_SEPARATORS = frozenset(",;<>")


class NotAnAddress(ValueError):
    """Text that is not one email address; ``reason`` says why: ``not_one`` (a separator, a
    space, angle brackets, a line break: a list or more than an address), ``too_long`` or
    ``malformed``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def email_address(value: str) -> str:
    """One email address as it is kept: trimmed, full-width folded (NFKC), its domain in ASCII
    (IDNA); NotAnAddress otherwise. Nothing is ever cut to fit."""
    address = unicodedata.normalize("NFKC", trim(value or ""))
    if any(c in _SEPARATORS or invisible(c) for c in address) and "@" in address:
        raise NotAnAddress("not_one")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local:
        raise NotAnAddress("malformed")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        # A label over 63 characters is refused by the codec: too long, not malformed.
        if all(len(label) <= 63 for label in domain.split(".")):
            raise NotAnAddress("malformed") from None
        raise NotAnAddress("too_long") from None
    address = f"{local}@{domain}"
    if len(local) > MAX_LOCAL or len(address) > MAX_EMAIL:
        raise NotAnAddress("too_long")
    labels = domain.split(".")
    if (
        not _LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise NotAnAddress("malformed")
    return address
