"""Handlers of the ops that make a record of their own (a check, a finding).

A batch writes them together (the fast path in sync/merge.py): what a handler needs beyond its
own payload — the checklists its checks were answered against, the findings that already name
them, the items' recent refusals and open findings — is read once for the whole batch
(``read_batch``) before any handler runs. A check and the findings the server raises from it
(sync/derived.py) are rows of the same op: kept together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sync import alerts, derived
from sync.context import (
    Context,
    Prepared,
    Rejected,
    base,
    data,
    item_for,
    photo_row,
    photo_rows,
)
from sync.schemas import Op
from webapp.codes import normalize
from webapp.models import Estate, Unit
from webapp.models.review import OPEN_STATUSES
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.models.sync import Check, Finding

_CHECK_INSERT = sa.insert(Check.__table__)
_FINDING_INSERT = sa.insert(Finding.__table__)
# A finding an older app sent without check_id, linked once its check is here.
_LINK = (
    sa.update(Finding.__table__)
    .where(Finding.id == sa.bindparam("b_id"), Finding.check_id.is_(None))
    .values(check_id=sa.bindparam("b_check"))
)

_ItemTime = tuple[str, int, datetime]  # (item_type, item_id, device time)


@dataclass
class BatchReads:
    """What the batch's checks and findings need of each other and of the stored records."""

    # The batch's new checks by item and device time, and the stored checks of the sender
    # at the times of the batch's findings that name no check (an older app's).
    batch_checks: dict[_ItemTime, str] = field(default_factory=dict)
    stored_checks: dict[_ItemTime, str] = field(default_factory=dict)
    # Stored findings of the sender that name no check, by the batch check they belong to.
    unlinked: dict[str, list[str]] = field(default_factory=dict)
    # Checks a finding names (or will name, once linked): the checklist reported for them.
    reported: set[str] = field(default_factory=set)
    # Rounds: template id -> (estate id, kind, current version); checklists by version.
    rounds: dict[int, tuple[int, str, int]] = field(default_factory=dict)
    checklists: dict[tuple[int, int], list] = field(default_factory=dict)
    # The checks that raise a relabel or a refused-twice finding, and each refusal's partner.
    relabel: set[str] = field(default_factory=set)
    refused: dict[str, derived.Visit | None] = field(default_factory=dict)
    zones: dict[int, str] = field(default_factory=dict)  # estate id -> time zone, for notes
    vacant: set[int] = field(default_factory=set)  # refused units that are vacant (an alert)


def _code_row(ctx: Context, code: Any):
    """The label code row of an item of the sender's estates, or None (its handler rejects)."""
    row = ctx.codes.get(normalize(code)) if isinstance(code, str) and code else None
    if row is None or row.estate_id not in ctx.actor.estate_ids:
        return None
    return row if row.item_type in ("unit", "key", "sign") else None


def read_batch(ctx: Context, ops: list[Op]) -> None:
    """Read, in a few queries for the whole batch, what its check.record and finding.create
    handlers need, into ``ctx.derived``. ``ops`` are the batch's new ops (no replays)."""
    reads = BatchReads()
    ctx.derived = reads
    checks: list[tuple[Op, tuple[str, int], int]] = []  # (op, item, estate id)
    seen: set[str] = set()
    orphans: list[tuple[Op, tuple[str, int]]] = []  # findings naming no check
    for op in ops:
        row = _code_row(ctx, op.payload.get("code"))
        item = (row.item_type, row.item_id) if row else None
        if op.type == "check.record" and row and op.payload["id"] not in seen:
            seen.add(op.payload["id"])
            checks.append((op, item, row.estate_id))
            reads.batch_checks.setdefault((*item, op.occurred_at), op.payload["id"])
        elif op.type == "finding.create":
            if op.payload.get("check_id"):
                reads.reported.add(op.payload["check_id"])
            elif item:
                orphans.append((op, item))
    if not checks and not orphans:
        return
    session, user_id = ctx.session, ctx.actor.user_id

    for op, item in orphans:
        here = reads.batch_checks.get((*item, op.occurred_at))
        if here:
            reads.reported.add(here)
    loose = {
        op.occurred_at for op, item in orphans if (*item, op.occurred_at) not in reads.batch_checks
    }
    if loose:
        rows = session.execute(
            sa.select(Check.id, Check.item_type, Check.item_id, Check.occurred_at).where(
                Check.user_id == user_id, Check.occurred_at.in_(loose)
            )
        )
        for check_id, item_type, item_id, at in rows:
            key = (item_type, item_id, at)
            if key not in reads.stored_checks or check_id < reads.stored_checks[key]:
                reads.stored_checks[key] = check_id
    if not checks:
        return

    times = {op.occurred_at for op, _item, _estate in checks}
    rows = session.execute(
        sa.select(Finding.id, Finding.item_type, Finding.item_id, Finding.occurred_at).where(
            Finding.user_id == user_id, Finding.check_id.is_(None), Finding.occurred_at.in_(times)
        )
    )
    for finding_id, item_type, item_id, at in rows:
        check_id = reads.batch_checks.get((item_type, item_id, at))
        if check_id:
            reads.unlinked.setdefault(check_id, []).append(finding_id)
            reads.reported.add(check_id)

    issues = [op for op, _item, _estate in checks if op.payload["result"] == "issue"]
    _read_reported(ctx, reads, [op.payload["id"] for op in issues])
    _read_rounds(ctx, reads, issues)
    _decide_relabels(ctx, reads, checks)
    _decide_refusals(ctx, reads, checks)


def _read_reported(ctx: Context, reads: BatchReads, ids: list[str]) -> None:
    wanted = set(ids) - reads.reported
    if wanted:
        reads.reported.update(
            ctx.session.scalars(
                sa.select(Finding.check_id).where(Finding.check_id.in_(wanted)).distinct()
            )
        )


def _read_rounds(ctx: Context, reads: BatchReads, issues: list[Op]) -> None:
    ids = {int(r) for op in issues if str(r := op.payload.get("round_id") or "").isdigit()}
    ids = {i for i in ids if i < 2**31}
    if not ids:
        return
    session = ctx.session
    for template_id, estate_id, kind, version in session.execute(
        sa.select(
            RoundTemplate.id,
            RoundTemplate.estate_id,
            RoundTemplate.kind,
            RoundTemplate.checklist_version,
        ).where(RoundTemplate.id.in_(ids))
    ):
        reads.rounds[template_id] = (estate_id, kind, version)
    for template_id, version, items in session.execute(
        sa.select(
            ChecklistVersion.template_id, ChecklistVersion.version, ChecklistVersion.items
        ).where(ChecklistVersion.template_id.in_(ids))
    ):
        reads.checklists[(template_id, version)] = items if isinstance(items, list) else []


def _open_on(ctx: Context, items: set[tuple[str, int]], category: str) -> set[tuple[str, int]]:
    """The items among ``items`` with an open finding of ``category``."""
    if not items:
        return set()
    rows = ctx.session.execute(
        sa.select(Finding.item_type, Finding.item_id)
        .where(
            sa.tuple_(Finding.item_type, Finding.item_id).in_(sorted(items)),
            Finding.category == category,
            Finding.status.in_(OPEN_STATUSES),
        )
        .distinct()
    )
    return {(item_type, item_id) for item_type, item_id in rows}


def _decide_relabels(ctx: Context, reads: BatchReads, checks) -> None:
    by_item: dict[tuple[str, int], list] = defaultdict(list)
    for op, item, _estate in checks:
        p = op.payload
        if derived.needs_relabel(p["method"], p.get("manual_reason")):
            by_item[item].append((p["id"], p["method"], p.get("manual_reason")))
    open_now = _open_on(ctx, set(by_item), derived.RELABEL_CATEGORY)
    for item, arriving in by_item.items():
        reads.relabel.update(derived.relabels_raising(arriving, item in open_now))


def _decide_refusals(ctx: Context, reads: BatchReads, checks) -> None:
    by_item: dict[tuple[str, int], list[derived.Visit]] = defaultdict(list)
    for op, item, _estate in checks:
        p = op.payload
        by_item[item].append(
            derived.Visit(p["id"], op.occurred_at, derived.is_refusal(p["result"], p["answers"]))
        )
    by_item = {item: visits for item, visits in by_item.items() if any(v.refused for v in visits)}
    if not by_item:
        return
    history = _neighbours(ctx, by_item)
    open_now = _open_on(ctx, set(by_item), derived.REFUSED_CATEGORY)
    for item, arriving in by_item.items():
        arriving_ids = {v.id for v in arriving}
        stored = [v for v in history.get(item, []) if v.id not in arriving_ids]
        raising = derived.refusals_raising(stored, arriving, item in open_now)
        for check_id in raising:
            visit = next(v for v in arriving if v.id == check_id)
            others = [*stored, *(v for v in arriving if v.id != check_id)]
            reads.refused[check_id] = derived.refusal_partner(others, visit)
    if reads.refused:
        estates = {
            estate_id for op, _item, estate_id in checks if op.payload["id"] in reads.refused
        }
        reads.zones = dict(
            ctx.session.execute(
                sa.select(Estate.id, Estate.timezone).where(Estate.id.in_(estates))
            ).all()
        )
        units = {
            item[1]
            for op, item, _e in checks
            if item[0] == "unit" and op.payload["id"] in reads.refused
        }
        if units:
            reads.vacant = set(
                ctx.session.scalars(
                    sa.select(Unit.id).where(Unit.id.in_(units), Unit.status == "vacant")
                )
            )


# The refusal rule's reads: per item, the last stored check before the batch's first device
# time and the first after its last; then the stored checks from one to the other. Built once
# (expanding parameters): a batch's items are bound, not compiled into the statement.
_ITEMS = sa.bindparam("items", expanding=True)
_ITEM = sa.tuple_(Check.item_type, Check.item_id)
_EDGES = (
    sa.select(
        Check.item_type,
        Check.item_id,
        sa.func.max(sa.case((Check.occurred_at < sa.bindparam("low"), Check.occurred_at))),
        sa.func.min(sa.case((Check.occurred_at > sa.bindparam("high"), Check.occurred_at))),
    )
    .where(_ITEM.in_(_ITEMS))
    .group_by(Check.item_type, Check.item_id)
)
_AROUND = sa.select(
    Check.id, Check.item_type, Check.item_id, Check.occurred_at, Check.result, Check.answers
).where(
    _ITEM.in_(_ITEMS),
    sa.or_(
        Check.occurred_at.between(sa.bindparam("low"), sa.bindparam("high")),
        sa.tuple_(Check.item_type, Check.item_id, Check.occurred_at).in_(
            sa.bindparam("edges", expanding=True)
        ),
    ),
)


def _neighbours(ctx: Context, by_item: dict[tuple[str, int], list[derived.Visit]]):
    """The stored checks of the items around the batch's device times: all the refusal rule
    reads (two queries for the whole batch)."""
    items = sorted(by_item)
    times = [v.at for visits in by_item.values() for v in visits]
    bounds = {"items": items, "low": min(times), "high": max(times)}
    edges = []
    for item_type, item_id, before, after in ctx.session.execute(_EDGES, bounds):
        edges += [(item_type, item_id, at) for at in (before, after) if at is not None]
    out: dict[tuple[str, int], list[derived.Visit]] = defaultdict(list)
    for check_id, item_type, item_id, at, result, answers in ctx.session.execute(
        _AROUND, bounds | {"edges": edges}
    ):
        out[(item_type, item_id)].append(
            derived.Visit(check_id, at, derived.is_refusal(result, answers))
        )
    return out


def _reads(ctx: Context) -> BatchReads:
    return ctx.derived if isinstance(ctx.derived, BatchReads) else BatchReads()


def _finding_row(ctx: Context, op: Op, **values) -> tuple[Any, dict]:
    """A finding row: every column, so the batch's findings insert as one executemany."""
    row = {
        "location": None,
        "status": "open",
        "check_id": None,
        **base(ctx, op),
        **values,
    }
    return (_FINDING_INSERT, row)


def check_record(ctx: Context, op: Op) -> Prepared:
    """``check.record``: a check of a unit, key or sign, with the findings it raises."""
    p = op.payload
    row = item_for(ctx, op, p["code"], ("unit", "key", "sign"))
    geo = p.get("geo") or {}
    rows = [
        (
            _CHECK_INSERT,
            {
                "id": p["id"],
                "estate_id": row.estate_id,
                "item_type": row.item_type,
                "item_id": row.item_id,
                "code": row.code,
                "method": p["method"],
                "manual_reason": p.get("manual_reason"),
                "result": p["result"],
                "answers": p.get("answers") or {},
                "note": p.get("note"),
                "round_id": p.get("round_id"),
                "geo_lat": geo.get("lat"),
                "geo_lon": geo.get("lon"),
                "geo_accuracy_m": geo.get("accuracy_m"),
                **base(ctx, op),
            },
        )
    ]
    rows += photo_rows(ctx, op, "check", row.estate_id)
    reads = _reads(ctx)
    touched: list[tuple[str, str]] = []
    for finding_id in reads.unlinked.get(p["id"], []):
        rows.append((_LINK, {"b_id": finding_id, "b_check": p["id"]}))
        touched.append(("finding", finding_id))
    for why, values in _raised(ctx, op, row, reads):
        finding_id = derived.derived_id(p["id"], why)
        rows.append(
            _finding_row(
                ctx,
                op,
                id=finding_id,
                estate_id=row.estate_id,
                item_type=row.item_type,
                item_id=row.item_id,
                severity=derived.SEVERITY[why],
                check_id=p["id"],
                **values,
            )
        )
        if why == derived.ISSUE:
            rows += [
                photo_row(ctx, sha, "finding", finding_id, row.estate_id)
                for sha in dict.fromkeys(p.get("photos", []))
            ]
        if why == derived.REFUSED and row.item_type == "unit" and row.item_id in reads.vacant:
            rows.append(
                alerts.row(
                    ctx.session,
                    "refused_twice",
                    f"refused_twice:{finding_id}",
                    row.estate_id,
                    ctx.now,
                    {"finding_id": finding_id, "unit_id": row.item_id},
                )
            )
        touched.append(("finding", finding_id))
    return Prepared("applied", data(ctx, op), row.estate_id, rows, touched)


def _raised(ctx: Context, op: Op, row, reads: BatchReads):
    """(why, category and note) of each finding the server raises from this check."""
    p = op.payload
    if p["result"] == "issue" and p["id"] not in reads.reported:
        kind, items = _checklist(reads, row.estate_id, p)
        if derived.raises_issue(p["result"], items, p.get("answers") or {}):
            note = (p.get("note") or "").strip() or derived.ISSUE_NOTE
            yield (
                derived.ISSUE,
                {"category": derived.issue_category(kind, row.item_type), "note": note},
            )
    if p["id"] in reads.relabel:
        note = derived.RELABEL_NOTE[p["manual_reason"]]
        yield derived.RELABEL, {"category": derived.RELABEL_CATEGORY, "note": note}
    if p["id"] in reads.refused:
        partner = reads.refused[p["id"]]
        zone = ZoneInfo(reads.zones.get(row.estate_id) or "UTC")
        times = sorted([op.occurred_at] + ([partner.at] if partner else []))
        note = derived.REFUSED_NOTE.format(
            first=_stamp(times[0], zone), second=_stamp(times[-1], zone)
        )
        yield derived.REFUSED, {"category": derived.REFUSED_CATEGORY, "note": note}


def _stamp(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _checklist(reads: BatchReads, estate_id: int, p: dict) -> tuple[str | None, list]:
    """The check's round kind and the checklist items it was answered against."""
    round_id = str(p.get("round_id") or "")
    found = reads.rounds.get(int(round_id)) if round_id.isdigit() else None
    if found is None or found[0] != estate_id:
        return None, []
    _estate_id, kind, current = found
    answers = p.get("answers") or {}
    version = answers.get("_v")
    if not isinstance(version, int) or isinstance(version, bool):
        version = int(version) if isinstance(version, str) and version.isdigit() else current
    items = reads.checklists.get((int(round_id), version))
    if items is None:
        items = reads.checklists.get((int(round_id), current), [])
    return kind, items


def finding_create(ctx: Context, op: Op) -> Prepared:
    """``finding.create``: a finding on a coded item, or at a place of an estate; one that
    names no check (an older app) is linked to the sender's check of the same item and time."""
    p = op.payload
    item_type = item_id = None
    check_id = p.get("check_id")
    if p.get("code"):
        row = item_for(ctx, op, p["code"], ("unit", "key", "sign"))
        estate_id, item_type, item_id = row.estate_id, row.item_type, row.item_id
        if not check_id:
            reads = _reads(ctx)
            key = (item_type, item_id, op.occurred_at)
            check_id = reads.batch_checks.get(key) or reads.stored_checks.get(key)
    else:
        estate_id = p["estate_id"]
        if estate_id not in ctx.actor.estate_ids:
            raise Rejected("unknown_estate", "You have no estate with this id.")
    rows = [
        _finding_row(
            ctx,
            op,
            id=p["id"],
            estate_id=estate_id,
            item_type=item_type,
            item_id=item_id,
            location=p.get("location"),
            severity=p["severity"],
            category=p["category"],
            note=p["note"],
            check_id=check_id,
        )
    ]
    rows += photo_rows(ctx, op, "finding", estate_id)
    kind = alerts.finding_kind(p["severity"], p["category"])
    if kind is not None:  # at once, to the estate's supervisors
        detail = {"finding_id": p["id"], "severity": p["severity"]}
        rows.append(alerts.row(ctx.session, kind, f"{kind}:{p['id']}", estate_id, ctx.now, detail))
    return Prepared("applied", data(ctx, op), estate_id, rows)
