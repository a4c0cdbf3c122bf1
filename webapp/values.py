"""Checks of values no database stores or no calendar holds, shared by the web edge
(webapp/edge.py) and the sync merge (sync/): plain Python, no Flask.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime

MAX_INT = 2**31 - 1  # integer columns are 32-bit on PostgreSQL
FIRST_DAY = date(1900, 1, 1)  # dates outside these are typos or clock faults: no
LAST_DAY = date(2999, 12, 31)  # arithmetic on them may leave datetime's range
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MAX_DEPTH = 64


def unstorable_text(text: str) -> bool:
    """Tell whether text holds a NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def storable(value, depth: int = 0) -> bool:
    """Tell whether a JSON value can be stored on both databases: text without NUL or lone
    surrogates, finite numbers, nested no deeper than 64."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, str):
        return not unstorable_text(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(storable(k, depth + 1) and storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v, depth + 1) for v in value)
    return True


def escape_unstorable(value, depth: int = 0):
    """A copy of a JSON value that both databases store: a NUL or lone surrogate becomes
    its escape written out (``\\u0000``), a non-finite number its name as text. For keeping
    refused input as sent (the quarantine), never for using it."""
    if depth > _MAX_DEPTH:
        return "…"
    if isinstance(value, str):
        return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {
            escape_unstorable(str(k), depth + 1): escape_unstorable(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [escape_unstorable(v, depth + 1) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return escape_unstorable(str(value), depth + 1)


def object_id(value: str) -> int:
    """``type=`` for an id sent in a form: 1 to 2**31-1, else ValueError (names nothing)."""
    number = int(value)
    if not 0 < number <= MAX_INT:
        raise ValueError("no such id")
    return number


def choice_id(value) -> int:
    """``coerce=`` for an id picked from a form's list (0 may mean none): 0 to 2**31-1, else
    ValueError, so a forged id is an invalid choice, never a database or overflow error."""
    number = int(value)
    if not 0 <= number <= MAX_INT:
        raise ValueError("no such choice")
    return number


def bounded_date(value: str) -> date:
    """An ISO date (YYYY-MM-DD) from 1900 to 2999; ValueError otherwise."""
    day = date.fromisoformat(value)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError("date out of range")
    return day


def bounded_utc(value: datetime) -> datetime:
    """An aware datetime in UTC whose day lies from 1900 to 2999; ValueError otherwise
    (the year 1 at +14:00 has no UTC instant datetime can hold)."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("datetime out of range") from exc
    if not FIRST_DAY <= utc.date() <= LAST_DAY:
        raise ValueError("datetime out of range")
    return utc
