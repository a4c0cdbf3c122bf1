"""QR codes for items: long random codes, short typed codes with a check character."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import ITEM_MODELS, LabelCode, utcnow

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Crockford's decoding rules: the letters people confuse with digits read as digits.
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})
CODE_LENGTH = 16  # 16 x 5 = 80 random bits
SHORT_BODY_LENGTH = 7  # plus one check character = 8


def normalize(text: str) -> str:
    """Uppercase, drop separators and read confusable letters as Crockford does."""
    return "".join(text.split()).replace("-", "").upper().translate(_ALIASES)


def random_code(length: int = CODE_LENGTH) -> str:
    """A string of ``length`` random Crockford base32 characters."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def check_character(body: str) -> str:
    """Luhn mod 32 check character: catches every single typo and adjacent swap."""
    factor, total, n = 2, 0, len(ALPHABET)
    for char in reversed(body):
        addend = factor * _VALUE[char]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def short_code_valid(short: str) -> bool:
    """Tell whether a (normalized) short code's check character matches."""
    return (
        2 <= len(short) <= 8
        and all(c in _VALUE for c in short)
        and check_character(short[:-1]) == short[-1]
    )


def new_short_code(session: Session, estate_id: int) -> str:
    """A short code not yet used in the estate (active or retired)."""
    while True:
        body = random_code(SHORT_BODY_LENGTH)
        short = body + check_character(body)
        taken = session.scalar(
            sa.select(LabelCode.id).where(
                LabelCode.estate_id == estate_id, LabelCode.short_code == short
            )
        )
        if taken is None:
            return short


def mint(session: Session, item_type: str, item) -> LabelCode:
    """Create and add the active code for an item that has none."""
    if item_type not in ITEM_MODELS:
        raise ValueError(f"unknown item type {item_type!r}")
    code = LabelCode(
        estate_id=item.estate_id,
        item_type=item_type,
        item_id=item.id,
        code=random_code(),
        short_code=new_short_code(session, item.estate_id),
        active=True,
        created_at=utcnow(),
    )
    session.add(code)
    return code


def active_code(session: Session, item_type: str, item_id: int) -> LabelCode | None:
    """The item's active code, if it has one."""
    return session.scalar(
        sa.select(LabelCode).where(
            LabelCode.item_type == item_type, LabelCode.item_id == item_id, LabelCode.active
        )
    )


def ensure_code(session: Session, item_type: str, item) -> LabelCode:
    """The item's active code, minting one if it has none."""
    return active_code(session, item_type, item.id) or mint(session, item_type, item)
