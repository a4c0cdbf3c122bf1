"""The one check of a user-supplied place to go back to (``next``): a path on this site.

Every redirect to a target that came with the request (a ``next`` query argument or form
field, a referrer) goes through :func:`safe_next`. Browsers drop tabs and line breaks inside
URLs and read a backslash as a slash, so ``/\\t/evil.example`` or ``/\\evil.example`` would
leave the site; a line break in a Location header is an error (500) as well.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import url_for

# Control and format characters, line and paragraph separators: none belongs in a path.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def is_safe_path(target: object) -> bool:
    """Tell whether ``target`` is a path on this site (no scheme, no host, no tricks)."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: object, fallback: str | None = None) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (default: home)."""
    if is_safe_path(target):
        return target  # type: ignore[return-value]
    return fallback if fallback is not None else url_for("home.index")
