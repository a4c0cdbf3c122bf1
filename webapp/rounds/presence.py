"""Proof of presence, read from what the phones sent: how each check reached its item
(scanned, typed from the label, picked from a list) per patroller and per round; where a
checkpoint is, learned from the GPS fixes of its first checks; and which later checks were
made far from it.

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
import sqlalchemy.orm
from sqlalchemy.orm import Session

from webapp.models import Estate, Key, Sign, Unit, shown_names
from webapp.models.rounds import RoundTemplate
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

    def far(self, check_id: str, lat, lon, accuracy_m) -> bool:
        """Is this check's fix far from the position (``is_far``)? A check the position was
        learned from never is."""
        return check_id not in self.ids and is_far(self.position, lat, lon, accuracy_m)


class Presence(NamedTuple):
    """One check against its checkpoint: the known position, how far the check's fix was
    from it, and whether that is far (the record page's line)."""

    position: LatLon | None
    distance_m: float | None
    far: bool


def _good(c=Check) -> tuple:
    return (
        c.geo_lat.is_not(None),
        c.geo_lon.is_not(None),
        c.geo_accuracy_m >= 0,
        c.geo_accuracy_m <= GOOD_FIX_M,
    )


ITEM_MODELS = {"sign": Sign, "unit": Unit, "key": Key}


def positions(
    session: Session, estate_id: int, refs: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Learned]:
    """The learned position of each of these items that has any good fix, in one query.

    Each item asks for its first LEARN_FIXES good-fix checks in device-time order
    (``ORDER BY occurred_at, id LIMIT 5``, correlated to the item): it walks
    ``ix_check_record_item_time`` from the item's first check and stops at the fifth good fix,
    so an item checked twice a day for years costs a few index steps, not its whole history
    (a ``row_number() OVER (PARTITION BY item ...)`` numbers every check of every item first:
    for a week's 85 checkpoints of a 221-unit estate with a year of history, 110 ms against
    8 on SQLite, 72 against 12 on PostgreSQL, the same learning checks). PostgreSQL runs it
    as a LATERAL join; SQLite, which has none, as a join on ``id IN (the correlated LIMIT)``
    (PostgreSQL would test that subquery against every check)."""
    by_type: dict[str, set[int]] = {}
    for item_type, item_id in refs:
        if item_type in ITEM_MODELS:
            by_type.setdefault(item_type, set()).add(item_id)
    if not by_type:
        return {}
    lateral = session.get_bind().dialect.name == "postgresql"
    parts = []
    for item_type, ids in sorted(by_type.items()):
        model = ITEM_MODELS[item_type]
        first = sa.orm.aliased(Check)
        cols = (first.item_type, first.item_id, first.id, first.geo_lat, first.geo_lon,
                first.occurred_at)  # fmt: skip
        learning = (
            sa.select(*cols if lateral else (first.id,))
            # The item is the estate's (below), and so are its checks: no estate test here,
            # which would tempt a planner into the estate's whole index.
            .where(first.item_type == item_type, first.item_id == model.id, *_good(first))
            .order_by(first.occurred_at, first.id)
            .limit(LEARN_FIXES)
            .correlate(model)
        )
        if lateral:
            fixes = learning.lateral("learning")
            part = sa.select(*fixes.c).select_from(model).join(fixes, sa.true())
        else:
            picked = (Check.item_type, Check.item_id, Check.id, Check.geo_lat, Check.geo_lon,
                      Check.occurred_at)  # fmt: skip
            part = sa.select(*picked).select_from(model).join(Check, Check.id.in_(learning))
        parts.append(part.where(model.estate_id == estate_id, model.id.in_(sorted(ids))))
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    found: dict[tuple[str, int], list] = {}
    for item_type, item_id, check_id, lat, lon, at in session.execute(query):
        found.setdefault((item_type, item_id), []).append((at, check_id, lat, lon))
    out = {}
    for ref, fixes in found.items():
        fixes.sort(key=lambda f: (f[0], f[1]))
        lat, lon = learn([(f[2], f[3]) for f in fixes])
        out[ref] = Learned(lat, lon, len(fixes), frozenset(f[1] for f in fixes))
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
    far = learned.far(check.id, check.geo_lat, check.geo_lon, check.geo_accuracy_m)
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
        if known is not None and known.far(r.id, r.geo_lat, r.geo_lon, r.geo_accuracy_m):
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
    names = shown_names(session, {f.user_id for f in found})
    for f in found:
        f.who = names.get(f.user_id, "")
    return found


# ---- scanned, typed, picked -------------------------------------------------------------------

# The mark a grid cell (on screen and printed) carries for how its check reached the item; a
# scan has none. Glyphs the printed forms' font has.
MARKS = {"typed": "#", "manual": "≡", "unexplained": "!"}


def how(method: str, reason: str | None) -> str:
    """Which mark a check gets: "" (scanned), typed, manual, or unexplained (picked from a list
    with no reason given: an older app)."""
    if method == "manual":
        return "manual" if reason else "unexplained"
    return "typed" if method == "typed" else ""


def scanned_pct(scanned: int, total: int) -> int | None:
    """The share scanned, in whole per cent rounded down: 100 only when every check was
    (None with no checks)."""
    return scanned * 100 // total if total else None


@dataclass
class Share:
    """How one patroller's (or one round's) checks reached their items."""

    key: object  # a user id, a round id (text, as checks carry it), or None: no round
    name: str
    scan: int = 0
    typed: int = 0
    manual: int = 0
    no_reason: int = 0  # picked from a list with no reason given (an older app)

    @property
    def total(self) -> int:
        return self.scan + self.typed + self.manual

    @property
    def scanned_pct(self) -> int | None:
        return scanned_pct(self.scan, self.total)

    def add(self, method: str, n: int, no_reason: int) -> None:
        if method == "scan":
            self.scan += n
        elif method == "typed":
            self.typed += n
        else:
            self.manual += n
        self.no_reason += no_reason


class Tally(NamedTuple):
    user_id: int
    round_id: str | None
    method: str
    n: int
    no_reason: int


def tally(session: Session, estate_id: int, lo: datetime, hi: datetime) -> list[Tally]:
    """The estate's checks in [lo, hi) by effective time (device time, receipt time for a
    flagged clock: as coverage counts them) counted by person, round and method, with how
    many were picked with no reason given: two grouped reads (the on-time ones by
    ``ix_check_record_estate_time``, the flagged ones by their partial index)."""
    no_reason = sa.func.sum(
        sa.case((sa.and_(Check.method == "manual", Check.manual_reason.is_(None)), 1), else_=0)
    )
    keys = (Check.user_id, Check.round_id, Check.method)
    on_time = (
        sa.select(*keys, sa.func.count(), no_reason)
        .where(
            Check.estate_id == estate_id,
            Check.occurred_at >= lo,
            Check.occurred_at < hi,
            ~Check.clock_skewed,
        )
        .group_by(*keys)
    )
    flagged = (
        sa.select(*keys, sa.func.count(), no_reason)
        .where(
            Check.estate_id == estate_id,
            Check.clock_skewed,
            Check.received_at >= lo,
            Check.received_at < hi,
        )
        .group_by(*keys)
    )
    return [
        Tally(user_id, round_id, method, int(n), int(none or 0))
        for query in (on_time, flagged)
        for user_id, round_id, method, n, none in session.execute(query)
    ]


def by_patroller(tallies: Iterable[Tally], names: dict[int, str]) -> list[Share]:
    """One share per person, by name."""
    out: dict[int, Share] = {}
    for t in tallies:
        share = out.setdefault(t.user_id, Share(t.user_id, names.get(t.user_id, "")))
        share.add(t.method, t.n, t.no_reason)
    return sorted(out.values(), key=lambda s: (s.name, s.key))


def shares(
    session: Session, estate: Estate, lo: datetime, hi: datetime
) -> tuple[list[Share], list[Share]]:
    """The estate's checks in [lo, hi) as shares per patroller (by name) and per round (in
    the rounds' order; checks in no round, or in a round not of this estate, last, key None)."""
    tallies = tally(session, estate.id, lo, hi)
    if not tallies:
        return [], []
    rounds = {
        str(template_id): name
        for template_id, name in session.execute(
            sa.select(RoundTemplate.id, RoundTemplate.name)
            .where(RoundTemplate.estate_id == estate.id)
            .order_by(RoundTemplate.id)
        )
    }
    per_round: dict[str | None, Share] = {}
    for t in tallies:
        key = t.round_id if t.round_id in rounds else None
        share = per_round.setdefault(key, Share(key, rounds.get(key, "")))
        share.add(t.method, t.n, t.no_reason)
    order = list(rounds)
    ordered = sorted(
        per_round.values(), key=lambda s: order.index(s.key) if s.key in rounds else len(order)
    )
    names = shown_names(session, {t.user_id for t in tallies})
    return by_patroller(tallies, names), ordered
