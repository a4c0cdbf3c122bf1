"""Code text as people type it: the Crockford base32 alphabet and its normalisation.

A leaf (it imports nothing of the app): the labels area mints and prints codes with it, and
the sync merge reads the codes phones send with it.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
# Crockford's decoding rules: the letters people confuse with digits read as digits.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def normalize(text: str) -> str:
    """Uppercase, drop separators and read confusable letters as Crockford does."""
    return "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
