"""The checks a printed form is filled from, read once and put in the reader's words.

Every form asks the same question of the records: these items' checks between two days of the
estate's calendar, in the rounds of one kind, each with the checklist it was answered against
(the version the phone showed, not today's), the patroller's name, how the item was reached,
and the photos whose bytes the server holds. ``read_checks`` answers it in three queries
whatever the number of checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import derived
from sync.blobs import BlobStore, Ref, as_store
from sync.photos import photo_key, shown_links
from webapp import vocab
from webapp.models import User
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.models.sync import Check, PhotoBlob

ANSWERS = {"yes": "是", "no": "否", "na": "不適用"}


@dataclass(frozen=True)
class Question:
    """A checklist question as the phone showed it."""

    key: str
    type: str
    zh: str
    en: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, zh)
    ok: tuple[str, ...] = ()
    severity: str = "medium"  # of the finding a failed answer makes (critical: 重大違規)

    def shown(self, value: Any) -> str:
        """The answer as the form prints it."""
        if value is None or value == "":
            return ""
        if self.type == "yesno":
            return ANSWERS.get(str(value), str(value))
        if self.type == "choice":
            return dict(self.choices).get(str(value), str(value))
        if self.type == "photo":
            return f"{len(value)} 張" if isinstance(value, list) else ""
        return str(value)

    def failed(self, value: Any) -> bool:
        """The phone's rule, as the server raises findings by it (sync.derived.failed)."""
        return derived.failed({"type": self.type, "ok": list(self.ok)}, value)


@dataclass(frozen=True)
class Checklist:
    """The questions of one version of a round's checklist."""

    template_id: int
    version: int
    questions: tuple[Question, ...]

    def answerable(self) -> tuple[Question, ...]:
        """The questions that take an answer in a column (not photos or free text)."""
        return tuple(q for q in self.questions if q.type in ("yesno", "choice", "number"))


@dataclass(frozen=True)
class CheckRow:
    """One check as a form prints it."""

    id: str
    item_type: str
    item_id: int
    at: datetime  # in the estate's zone: device time, or receipt time for a skewed clock
    by: str
    method: str
    result: str
    answers: dict[str, Any]
    note: str
    checklist: Checklist | None
    photos: tuple[Ref | None, ...]  # in the blob store; None: named, not uploaded yet
    clock_skewed: bool
    round_id: str | None
    geo: tuple[float, float, float | None] | None = None  # lat, lon, accuracy in metres
    manual_reason: str | None = None  # why it was not scanned (typed or picked)

    @property
    def written(self) -> str:
        """The note, and what was typed into the checklist's text questions."""
        parts = [self.note] if self.note else []
        for q in self.checklist.questions if self.checklist else ():
            value = self.answers.get(q.key)
            if q.type == "text" and value and str(value) not in parts:
                parts.append(str(value))
        return "\n".join(parts)

    @property
    def where(self) -> str:
        """The phone's position fix as printed: its accuracy, or that there was none."""
        if self.geo is None:
            return "無定位 no fix"
        accuracy = self.geo[2]
        return f"GPS ±{accuracy:.0f} m" if accuracy is not None else "GPS"

    @property
    def result_text(self) -> str:
        zh = vocab.zh("check_result", self.result)
        reason = str(self.answers.get("no_access"))
        if self.result == "no_access" and reason in vocab.NO_ACCESS_REASONS:
            return f"{zh}（{vocab.zh('no_access_reason', reason)}）"
        return zh

    @property
    def method_text(self) -> str:
        """How the item was reached, and why not by a scan: 手動選取（標籤損壞）; a pick from an
        older app that gave no reason says so (未說明原因)."""
        zh = vocab.zh("check_method", self.method)
        if self.manual_reason in vocab.MANUAL_REASONS:
            return f"{zh}（{vocab.zh('manual_reason', self.manual_reason)}）"
        if self.method == "manual":
            return f"{zh}（未說明原因）"
        return zh


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants that open ``first`` and close ``last`` on the estate's calendar."""
    lo = datetime.combine(first, time.min, tz)
    hi = datetime.combine(last + timedelta(days=1), time.min, tz)
    return lo, hi


def read_checks(
    session: Session,
    *,
    estate_id: int,
    tz: ZoneInfo,
    first: date,
    last: date,
    kind: str,
    item_type: str,
    item_ids: Iterable[int] | None = None,
    blobs: BlobStore | str | Path,
) -> list[CheckRow]:
    """The checks of ``item_type`` items (all, or ``item_ids``) made in rounds of ``kind``
    between ``first`` and ``last`` (estate days), oldest first."""
    lo, hi = day_bounds(first, last, tz)
    templates = {
        str(t.id): t
        for t in session.scalars(
            sa.select(RoundTemplate).where(
                RoundTemplate.estate_id == estate_id, RoundTemplate.kind == kind
            )
        )
    }
    if not templates:
        return []
    # A skewed phone clock is read by receipt time, as the coverage grid reads it.
    when = sa.case((Check.clock_skewed, Check.received_at), else_=Check.occurred_at)
    query = (
        sa.select(Check, User.display_name, User.username)
        .join(User, User.id == Check.user_id)
        .where(
            Check.estate_id == estate_id,
            Check.item_type == item_type,
            Check.round_id.in_(list(templates)),
            when >= lo,
            when < hi,
        )
        .order_by(when, Check.id)
    )
    if item_ids is not None:
        query = query.where(Check.item_id.in_(list(item_ids)))
    rows = session.execute(query).all()
    checklists = _checklists(session, templates, rows)
    photos = _photos(session, [c.id for c, _, _ in rows], as_store(blobs))
    out = []
    for check, display_name, username in rows:
        template = templates[check.round_id]
        version = check.answers.get("_v") if isinstance(check.answers, dict) else None
        checklist = checklists.get((template.id, version or template.checklist_version))
        at = check.received_at if check.clock_skewed else check.occurred_at
        out.append(
            CheckRow(
                id=check.id,
                item_type=check.item_type,
                item_id=check.item_id,
                at=at.astimezone(tz),
                by=display_name or username,
                method=check.method,
                result=check.result,
                answers=check.answers if isinstance(check.answers, dict) else {},
                note=check.note or "",
                checklist=checklist,
                photos=tuple(photos.get(check.id, ())),
                clock_skewed=check.clock_skewed,
                round_id=check.round_id,
                manual_reason=check.manual_reason,
                geo=(check.geo_lat, check.geo_lon, check.geo_accuracy_m)
                if check.geo_lat is not None and check.geo_lon is not None
                else None,
            )
        )
    return out


def _checklists(session, templates: dict[str, RoundTemplate], rows) -> dict:
    wanted: set[tuple[int, int]] = set()
    for check, _, _ in rows:
        template = templates[check.round_id]
        version = check.answers.get("_v") if isinstance(check.answers, dict) else None
        wanted.add((template.id, int(version or template.checklist_version)))
    if not wanted:
        return {}
    found = session.scalars(
        sa.select(ChecklistVersion).where(
            ChecklistVersion.template_id.in_({t for t, _ in wanted}),
            ChecklistVersion.version.in_({v for _, v in wanted}),
        )
    )
    return {
        (cv.template_id, cv.version): Checklist(
            cv.template_id, cv.version, tuple(question_of(q) for q in cv.items or [])
        )
        for cv in found
        if (cv.template_id, cv.version) in wanted
    }


def question_of(item: dict) -> Question:
    return Question(
        key=str(item.get("key", "")),
        type=str(item.get("type", "text")),
        zh=str(item.get("zh") or item.get("en") or item.get("key", "")),
        en=str(item.get("en") or ""),
        choices=tuple(
            (str(c.get("value")), str(c.get("zh") or c.get("value")))
            for c in item.get("choices") or []
        ),
        ok=tuple(item.get("ok") or ()),
        severity="critical" if item.get("critical") else str(item.get("severity") or "medium"),
    )


def _photos(session, check_ids: Sequence[str], store: BlobStore) -> dict[str, list[Ref | None]]:
    links = shown_links(session, "check", check_ids)
    held = set(
        session.scalars(
            sa.select(PhotoBlob.sha256).where(PhotoBlob.sha256.in_({sha for _, sha in links}))
        )
    )
    out: dict[str, list[Ref | None]] = {}
    for record_id, sha in links:
        out.setdefault(record_id, []).append(Ref(store, photo_key(sha)) if sha in held else None)
    return out
