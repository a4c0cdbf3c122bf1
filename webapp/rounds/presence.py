"""Proof of presence, read from what the phones sent: where a checkpoint is, learned from the
GPS fixes of its first checks, and which later checks were made far from it.

Nothing here is stored: a checkpoint's position is computed on each read from its checks (no
column, no write in sync), in one batched query for all the items a page asks about. The
thresholds and why they are what they are: docs/rounds.md, "Proof of presence".

The maths (``median``, ``distance_m``, ``good_fix``, ``learn``, ``is_far``) is pure and tested
as tables; the reads take a session and an estate the caller has already scoped.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Estate, User
from webapp.models.sync import Check

GOOD_FIX_M = 30.0  # a fix this accurate (or better) says where the phone was
LEARN_FIXES = 5  # a checkpoint's position: the median of its first this-many good fixes
FAR_M = 100.0  # a later good fix farther than this plus its own accuracy is "far"
EARTH_M = 6_371_008.8  # the Earth's mean radius (IUGG), in metres

LatLon = tuple[float, float]


def median(values: Sequence[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    return float(statistics.median(values))


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres between two (lat, lon) points in degrees (haversine:
    well-conditioned at a few metres, where the cosine formula loses its digits)."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def good_fix(lat: float | None, lon: float | None, accuracy_m: float | None) -> bool:
    """Is this a fix that says where the phone was: a position with a stated accuracy of
    GOOD_FIX_M or better? (No accuracy, or an indoor 80 m, says nothing about the building.)"""
    if lat is None or lon is None or accuracy_m is None:
        return False
    return 0 <= accuracy_m <= GOOD_FIX_M


def learn(fixes: Sequence[LatLon]) -> LatLon | None:
    """A checkpoint's position from its good fixes in device-time order: the median latitude
    and the median longitude of the first LEARN_FIXES; None when there are none."""
    first = fixes[:LEARN_FIXES]
    if not first:
        return None
    return median([f[0] for f in first]), median([f[1] for f in first])


def is_far(position: LatLon | None, lat, lon, accuracy_m) -> bool:
    """Is a fix far from the checkpoint: a good fix farther from its known position than
    FAR_M plus the fix's own accuracy? No position or no good fix: never far."""
    if position is None or not good_fix(lat, lon, accuracy_m):
        return False
    return distance_m(position, (lat, lon)) > FAR_M + accuracy_m


# ---- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Learned:
    """A checkpoint's learned position and the checks it was learned from."""

    lat: float
    lon: float
    fixes: int  # how many good fixes it comes from (1 to LEARN_FIXES)
    ids: frozenset[str]  # those checks: never flagged against a position they made

    @property
    def position(self) -> LatLon:
        return (self.lat, self.lon)


class Presence(NamedTuple):
    """One check against its checkpoint: the known position, how far the check's fix was
    from it, and whether that is far (the record page's line)."""

    position: LatLon | None
    distance_m: float | None
    far: bool


def _good() -> tuple:
    return (
        Check.geo_lat.is_not(None),
        Check.geo_lon.is_not(None),
        Check.geo_accuracy_m >= 0,
        Check.geo_accuracy_m <= GOOD_FIX_M,
    )


def _items(refs: Iterable[tuple[str, int]]):
    """A WHERE clause for these items: per kind, an IN list over ix_check_record_item_time."""
    by_type: dict[str, set[int]] = {}
    for item_type, item_id in refs:
        by_type.setdefault(item_type, set()).add(item_id)
    return sa.or_(
        *(
            sa.and_(Check.item_type == t, Check.item_id.in_(sorted(ids)))
            for t, ids in sorted(by_type.items())
        )
    )


def positions(
    session: Session, estate_id: int, refs: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Learned]:
    """The learned position of each of these items that has any good fix, in one query: each
    item's good-fix checks numbered in device-time order (``row_number() OVER (PARTITION BY
    item ...)``, SQLite and PostgreSQL alike), the first LEARN_FIXES kept."""
    refs = set(refs)
    if not refs:
        return {}
    order = sa.func.row_number().over(
        partition_by=(Check.item_type, Check.item_id), order_by=(Check.occurred_at, Check.id)
    )
    ranked = (
        sa.select(
            Check.item_type,
            Check.item_id,
            Check.id,
            Check.geo_lat,
            Check.geo_lon,
            order.label("n"),
        )
        .where(Check.estate_id == estate_id, _items(refs), *_good())
        .subquery()
    )
    found: dict[tuple[str, int], list] = {}
    for item_type, item_id, check_id, lat, lon, _n in session.execute(
        sa.select(ranked).where(ranked.c.n <= LEARN_FIXES).order_by(ranked.c.n)
    ):
        found.setdefault((item_type, item_id), []).append((check_id, lat, lon))
    out = {}
    for ref, fixes in found.items():
        lat, lon = learn([(f[1], f[2]) for f in fixes])
        out[ref] = Learned(lat, lon, len(fixes), frozenset(f[0] for f in fixes))
    return out


def for_check(session: Session, check: Check) -> Presence:
    """One check against its checkpoint's learned position (for the record page): the
    position or None, the distance of the check's fix from it in metres or None, and whether
    it is far (a learning check never is: it made the position)."""
    learned = positions(session, check.estate_id, [(check.item_type, check.item_id)]).get(
        (check.item_type, check.item_id)
    )
    if learned is None:
        return Presence(None, None, False)
    if check.geo_lat is None or check.geo_lon is None:
        return Presence(learned.position, None, False)
    distance = distance_m(learned.position, (check.geo_lat, check.geo_lon))
    far = check.id not in learned.ids and is_far(
        learned.position, check.geo_lat, check.geo_lon, check.geo_accuracy_m
    )
    return Presence(learned.position, distance, far)


@dataclass
class FarFix:
    """A check whose good fix was far from its checkpoint (the coverage page's list)."""

    check_id: str
    item_type: str
    item_id: int
    user_id: int
    at: datetime  # device time, in the estate's zone
    distance_m: float
    accuracy_m: float
    who: str = ""


def far_fixes(session: Session, estate: Estate, lo: datetime, hi: datetime) -> list[FarFix]:
    """The estate's checks made in [lo, hi) (device time, as the fast sequences are read)
    whose good fix was far from their checkpoint's learned position, in time order: one read
    of the span's good fixes, one batched read of their items' learning fixes, the names."""
    rows = session.execute(
        sa.select(
            Check.id,
            Check.item_type,
            Check.item_id,
            Check.user_id,
            Check.occurred_at,
            Check.geo_lat,
            Check.geo_lon,
            Check.geo_accuracy_m,
        )
        .where(Check.estate_id == estate.id, Check.occurred_at >= lo, Check.occurred_at < hi)
        .where(*_good())
        .order_by(Check.occurred_at, Check.id)
    ).all()
    if not rows:
        return []
    learned = positions(session, estate.id, {(r.item_type, r.item_id) for r in rows})
    zone = ZoneInfo(estate.timezone)
    found = []
    for r in rows:
        known = learned.get((r.item_type, r.item_id))
        if known is None or r.id in known.ids:
            continue
        if is_far(known.position, r.geo_lat, r.geo_lon, r.geo_accuracy_m):
            distance = distance_m(known.position, (r.geo_lat, r.geo_lon))
            found.append(
                FarFix(
                    r.id,
                    r.item_type,
                    r.item_id,
                    r.user_id,
                    r.occurred_at.astimezone(zone),
                    distance,
                    r.geo_accuracy_m,
                )
            )
    if found:
        names = {
            user_id: shown or username
            for user_id, shown, username in session.execute(
                sa.select(User.id, User.display_name, User.username).where(
                    User.id.in_({f.user_id for f in found})
                )
            )
        }
        for f in found:
            f.who = names.get(f.user_id, "")
    return found
