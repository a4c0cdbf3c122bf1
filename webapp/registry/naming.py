"""How managers write building, entrance, floor and room, read into the registry's own form.

A spreadsheet says "3", "3棟" or " 3棟 "; a form says "2單元" or "2"; both name the same thing.
The registry stores buildings as written on labels ("3棟"), entrances and rooms bare ("2", "1502").
"""

from __future__ import annotations

import re

from webapp import text as texts
from webapp import vocab


def clean(text) -> str:
    """Text as typed, folded as names are kept (``webapp.text.fold``: full-width folded, spaces
    collapsed, invisible ends trimmed); a spreadsheet's 3.0 is 3."""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    return texts.fold(text)


def _strip_suffix(text: str, *suffixes: str) -> str:
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            return texts.trim(text[: -len(suffix)])
    return text


def building_name(text) -> str:
    """'3' or '3棟' -> '3棟'; other names ('會所') are kept as written."""
    name = clean(text)
    # ASCII digits only (int() refuses some digits isdigit() takes, and more than 4,300 of
    # them): a name longer than its column is kept as it is, for its length to be refused.
    if name.isascii() and name.isdigit() and len(name) <= 40:
        return f"{int(name)}棟"
    return name


def entrance(text) -> str:
    """'2單元' or '2' -> '2'."""
    return _strip_suffix(clean(text), "單元", "单元")


def room(text) -> str:
    """'1502室' or '1502' -> '1502'."""
    return _strip_suffix(clean(text), "室", "號", "号")


def floor(text) -> int | None:
    """'15樓', '15', 15.0 or 'B1' -> 15 / -1; None when it is not a floor."""
    value = _strip_suffix(clean(text), "樓", "楼", "F", "f", "層", "层")
    if re.fullmatch(r"[Bb]\d{1,2}", value):
        return -int(value[1:])
    if re.fullmatch(r"-?\d{1,3}", value):
        return int(value)
    return None


def vocab_value(vocabulary: str, text) -> str | None:
    """A vocabulary value from its code, Chinese name or English name (any case)."""
    wanted = clean(text)
    if not wanted:
        return None
    lowered = wanted.lower()
    for value, (zh_name, en_name) in vocab.VOCABULARIES[vocabulary].items():
        if wanted == zh_name or lowered in (value.lower(), en_name.lower()):
            return value
    return None
