"""QR codes for items: long random codes, short typed codes with a check character."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webapp.codes import ALPHABET, Entry, normalize, read_entry
from webapp.models import ITEM_MODELS, LabelCode, utcnow
from webapp.models.audit import record
from webapp.text import too_long

_VALUE = {c: i for i, c in enumerate(ALPHABET)}
CODE_LENGTH = 16  # 16 x 5 = 80 random bits
SHORT_BODY_LENGTH = 7  # plus one check character = 8
MAX_REASON = LabelCode.retired_reason.type.length  # why a code was retired: refused when longer
REPRINTED = "reprinted"  # the reason kept when none was given: shown in the reader's language


def reason_shown(reason: str | None) -> str:
    """Why a code was retired, as a reader reads it: the reason a person gave as they gave it,
    the one kept when none was given (REPRINTED) in the reader's language."""
    return _("Reprinted") if reason == REPRINTED else reason or ""


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


_TAKEN = "rounds.label_short_codes_taken"


def _taken_short_codes(session: Session, estate_id: int) -> set[str]:
    """The estate's short codes, read once per transaction and kept up to date by minting."""
    cache = session.info.setdefault(_TAKEN, {})
    if estate_id not in cache:
        cache[estate_id] = set(
            session.scalars(sa.select(LabelCode.short_code).where(LabelCode.estate_id == estate_id))
        )
    return cache[estate_id]


def _forget_taken(session: Session) -> None:
    # The next transaction reads afresh: others may have minted in between.
    session.info.pop(_TAKEN, None)


def install() -> None:
    """Listen to every Session so each transaction reads the taken short codes afresh."""
    for name in ("after_commit", "after_rollback"):
        if not sa.event.contains(Session, name, _forget_taken):
            sa.event.listen(Session, name, _forget_taken)


def new_short_code(session: Session, estate_id: int) -> str:
    """A short code not yet used in the estate (active or retired).

    The estate's codes are read once per transaction, not once per code; a code minted
    meanwhile by another transaction is still refused by the unique constraint.
    """
    taken = _taken_short_codes(session, estate_id)
    while True:
        body = random_code(SHORT_BODY_LENGTH)
        short = body + check_character(body)
        if short not in taken:
            taken.add(short)
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


def mint_many(session: Session, item_type: str, items) -> list[LabelCode]:
    """Create and add active codes for many items: one query per estate, not per code."""
    if item_type not in ITEM_MODELS:
        raise ValueError(f"unknown item type {item_type!r}")
    now = utcnow()
    codes = []
    for item in items:
        short = new_short_code(session, item.estate_id)
        codes.append(
            LabelCode(
                estate_id=item.estate_id,
                item_type=item_type,
                item_id=item.id,
                code=random_code(),
                short_code=short,
                active=True,
                created_at=now,
            )
        )
    session.add_all(codes)
    return codes


def active_codes(session: Session, item_type: str, item_ids) -> dict[int, LabelCode]:
    """The active codes of these items, by item id (a query per 500 items)."""
    ids = list(item_ids)
    found: dict[int, LabelCode] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for code in session.scalars(
            sa.select(LabelCode).where(
                LabelCode.item_type == item_type,
                LabelCode.item_id.in_(chunk),
                LabelCode.active,
            )
        ):
            found[code.item_id] = code
    return found


def ensure_codes(session: Session, item_type: str, items) -> dict[int, LabelCode]:
    """Every item's active code, by item id, minting in bulk for those that have none."""
    items = list(items)
    found = active_codes(session, item_type, [item.id for item in items])
    missing = [item for item in items if item.id not in found]
    for code in mint_many(session, item_type, missing):
        found[code.item_id] = code
    return found


def find_code(session: Session, text: str) -> LabelCode | None:
    """The code (active or retired) that ``text`` names, read case-insensitively."""
    code = normalize(text)
    if not code or len(code) > 32 or any(c not in _VALUE for c in code):
        return None
    return session.scalar(sa.select(LabelCode).where(LabelCode.code == code))


def find_short_code(session: Session, estate_ids, text: str) -> LabelCode | None:
    """The code whose short code is ``text`` in one of these estates, if exactly one."""
    short = normalize(text)
    if not short_code_valid(short):
        return None
    found = session.scalars(
        sa.select(LabelCode).where(
            LabelCode.short_code == short, LabelCode.estate_id.in_(list(estate_ids))
        )
    ).all()
    return found[0] if len(found) == 1 else None


def current_code(session: Session, code: LabelCode) -> LabelCode:
    """Follow ``replaced_by`` from a retired code to the item's code in use now."""
    seen = set()
    while not code.active and code.replaced_by_id and code.id not in seen:
        seen.add(code.id)
        code = session.get(LabelCode, code.replaced_by_id)
    return code


def retire_and_replace(session: Session, old: LabelCode, reason: str, *, actor=None) -> LabelCode:
    """Retire an active code (when, why, by what) and mint its item a new one."""
    if not old.active:
        raise ValueError(f"code {old.code} is already retired")
    item = old.item(session)
    old.active = False
    old.retired_at = utcnow()
    if too_long(reason, MAX_REASON):
        raise ValueError(f"a reason has at most {MAX_REASON} characters")  # the callers said so
    old.retired_reason = reason or REPRINTED
    # The one-active-code-per-item index must see the old one retired before the new one.
    session.flush()
    new = mint(session, old.item_type, item)
    session.flush()
    old.replaced_by_id = new.id
    record(
        session,
        "label.reprint",
        old,
        actor=actor,
        before={"code": old.code, "short_code": old.short_code},
        after={"code": new.code, "short_code": new.short_code, "reason": old.retired_reason},
    )
    return new


def active_code(session: Session, item_type: str, item_id: int) -> LabelCode | None:
    """The item's active code, if it has one."""
    return session.scalar(
        sa.select(LabelCode).where(
            LabelCode.item_type == item_type, LabelCode.item_id == item_id, LabelCode.active
        )
    )


@dataclass(frozen=True)
class Found:
    """An entry of a desk's basket and the label it names: ``code`` is None and ``problem``
    says why when it names none (``unread``, ``check``, ``unknown``, ``ambiguous``)."""

    entry: Entry
    code: LabelCode | None = None
    problem: str = ""


def find_entries(session: Session, estate_ids, texts) -> list[Found]:
    """The labels of these estates that scanned URLs, long codes and short codes name, in
    order: two queries for the lot. A code of another estate is ``unknown``, as is one that
    names nothing (no existence leak across estates); a short code whose check character does
    not match is ``check``."""
    estate_ids = list(estate_ids)
    entries = [read_entry(t) for t in texts]
    longs = {e.code for e in entries if not e.unread and not e.short}
    shorts = {e.code for e in entries if e.short and short_code_valid(e.code)}
    by_long: dict[str, LabelCode] = {}
    by_short: dict[str, list[LabelCode]] = {}
    if longs and estate_ids:
        for row in session.scalars(
            sa.select(LabelCode).where(
                LabelCode.code.in_(longs), LabelCode.estate_id.in_(estate_ids)
            )
        ):
            by_long[row.code] = row
    if shorts and estate_ids:
        for row in session.scalars(
            sa.select(LabelCode).where(
                LabelCode.short_code.in_(shorts), LabelCode.estate_id.in_(estate_ids)
            )
        ):
            by_short.setdefault(row.short_code, []).append(row)
    found = []
    for e in entries:
        if e.unread:
            found.append(Found(e, problem="unread"))
        elif e.short and e.code not in shorts:
            found.append(Found(e, problem="check"))
        elif e.short:
            rows = by_short.get(e.code, [])
            problem = "" if len(rows) == 1 else ("ambiguous" if rows else "unknown")
            found.append(Found(e, rows[0] if len(rows) == 1 else None, problem))
        else:
            row = by_long.get(e.code)
            found.append(Found(e, row, "" if row is not None else "unknown"))
    return found
