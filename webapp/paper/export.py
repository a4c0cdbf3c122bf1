"""Every check in a date range as a spreadsheet: one line per check, its answers as columns;
in a workbook, a second sheet of each patroller's share of scanned checks.

The columns are known before the first row: the fixed facts of a check, then one column per
checklist question of the rounds of the chosen estates (every version's questions, keyed by
the round's kind and the question's key, headed by the newest wording). Rows are read in
batches (``yield_per``) estate by estate and written as they come, so an estate-year of
checks streams out with memory flat; the item, round and person names are read once up front.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp import vocab
from webapp.models import Estate, Key, Sign, Unit, User, shown_names
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.models.sync import Check, PhotoLink
from webapp.paper.records import Question, day_bounds, question_of
from webapp.rounds import presence

FIXED = [
    "小區 Estate",
    "日期時間 When",
    "接收時間 Received",
    "時鐘偏差 Clock off",
    "巡查 Round",
    "項目類型 Kind",
    "項目 Item",
    "巡查人 Inspector",
    "方式 Reached by",
    "未掃描原因 Why not scanned",
    "結果 Result",
    "無法進入原因 No access",
    "備註 Note",
    "照片數 Photos",
    "緯度 Latitude",
    "經度 Longitude",
    "定位精度(m) Accuracy",
    "檢查編號 Check id",
]
BATCH = 5000
# The workbook's second sheet: each patroller's checks by how they reached their items.
PATROLLER_SHEET = "By patroller"
PATROLLER_HEADERS = [
    "小區 Estate",
    "巡查人 Inspector",
    "檢查數 Checks",
    "掃描 Scanned",
    "輸入短碼 Typed",
    "手動選取 Picked",
    "掃描比例(%) Share scanned",
    "未說明原因 No reason given",
]
NO_REASON = "未說明原因"


Columns = list[tuple[tuple[str, str], Question]]  # ((round kind, question key), question)


def questions(session: Session, estate_ids: Sequence[int]) -> Columns:
    """((round kind, question key), the question) for every answerable question of these
    estates' rounds, in checklist order, the newest version's wording winning: the columns
    after the fixed ones, and how each answer is written."""
    rows = session.execute(
        sa.select(RoundTemplate.kind, ChecklistVersion.items)
        .join(RoundTemplate, RoundTemplate.id == ChecklistVersion.template_id)
        .where(RoundTemplate.estate_id.in_(list(estate_ids)))
        .order_by(RoundTemplate.kind, ChecklistVersion.version)
    ).all()
    found: dict[tuple[str, str], Question] = {}
    for kind, items in rows:
        for item in items or []:
            q = question_of(item)
            if q.type in ("yesno", "choice", "number", "text"):
                found[(kind, q.key)] = q
    return list(found.items())


def heading(key: tuple[str, str], question: Question) -> str:
    """A question's column heading: its round's kind and its words (裝修巡檢·未破壞承重牆)."""
    return f"{vocab.zh('round_kind', key[0])}·{question.zh}"


def _names(session: Session, estate_ids: Sequence[int]) -> dict:
    ids = list(estate_ids)
    items: dict[tuple[str, int], str] = {}
    for kind, model in (("unit", Unit), ("sign", Sign), ("key", Key)):
        for obj in session.scalars(sa.select(model).where(model.estate_id.in_(ids))):
            items[(kind, obj.id)] = obj.label
    templates = {
        str(t.id): (t.kind, t.name)
        for t in session.scalars(sa.select(RoundTemplate).where(RoundTemplate.estate_id.in_(ids)))
    }
    people = {u.id: u.display_name or u.username for u in session.scalars(sa.select(User))}
    return {"items": items, "templates": templates, "people": people}


def count(session: Session, estates: Sequence[Estate], first: date, last: date) -> int:
    """How many checks the export of this range holds."""
    when = sa.case((Check.clock_skewed, Check.received_at), else_=Check.occurred_at)
    total = 0
    for estate in estates:
        lo, hi = day_bounds(first, last, ZoneInfo(estate.timezone))
        total += session.scalar(
            sa.select(sa.func.count()).where(Check.estate_id == estate.id, when >= lo, when < hi)
        )
    return total


def rows(session: Session, estates: Sequence[Estate], first: date, last: date,
         columns: Columns) -> Iterator[list]:  # fmt: skip
    """The export's lines, oldest first within each estate."""
    names = _names(session, [e.id for e in estates])
    when = sa.case((Check.clock_skewed, Check.received_at), else_=Check.occurred_at)
    for estate in estates:
        tz = ZoneInfo(estate.timezone)
        lo, hi = day_bounds(first, last, tz)
        # Photo counts in one grouped read (a count per row was a subquery per check).
        photos = dict(
            session.execute(
                sa.select(PhotoLink.record_id, sa.func.count())
                .join(Check, Check.id == PhotoLink.record_id)
                .where(
                    PhotoLink.record_type == "check",
                    Check.estate_id == estate.id,
                    when >= lo,
                    when < hi,
                )
                .group_by(PhotoLink.record_id)
            ).all()
        )
        query = (
            sa.select(
                Check.id,
                Check.occurred_at,
                Check.received_at,
                Check.clock_skewed,
                Check.round_id,
                Check.item_type,
                Check.item_id,
                Check.user_id,
                Check.method,
                Check.manual_reason,
                Check.result,
                Check.note,
                Check.answers,
                Check.geo_lat,
                Check.geo_lon,
                Check.geo_accuracy_m,
            )
            .where(Check.estate_id == estate.id, when >= lo, when < hi)
            .order_by(when, Check.id)
            .execution_options(yield_per=BATCH)
        )
        for row in session.execute(query):
            yield _line(estate, tz, row, names, columns, photos)


def _line(estate: Estate, tz: ZoneInfo, row, names: dict, columns: list, photos: dict) -> list:
    (check_id, occurred, received, skewed, round_id, item_type, item_id, user_id, method,
     manual_reason, result, note, answers, lat, lon, accuracy) = row  # fmt: skip
    answers = answers if isinstance(answers, dict) else {}
    kind, round_name = names["templates"].get(round_id or "", ("", ""))
    at = (received if skewed else occurred).astimezone(tz)
    reason = answers.get("no_access") if result == "no_access" else None
    reason = vocab.zh("no_access_reason", str(reason)) if reason else ""
    line = [
        estate.name,
        at.isoformat(" ", "seconds")[:19],  # isoformat is C; strftime was a tenth of the time
        received.astimezone(tz).isoformat(" ", "seconds")[:19],
        "是" if skewed else "",
        round_name,
        vocab.zh("item_kind", item_type),
        names["items"].get((item_type, item_id), f"{item_type} {item_id}"),
        names["people"].get(user_id, ""),
        vocab.zh("check_method", method),
        _why(method, manual_reason),
        vocab.zh("check_result", result),
        reason,
        note or "",
        photos.get(check_id, 0),
        lat if lat is not None else "",
        lon if lon is not None else "",
        round(accuracy) if accuracy is not None else "",
        check_id,
    ]
    for (column_kind, key), question in columns:
        line.append(question.shown(answers.get(key)) if column_kind == kind else "")
    return line


def _why(method: str, reason: str | None) -> str:
    """Why a check was not scanned: its reason, 未說明原因 for a pick without one (an older
    app), nothing for a scan."""
    if reason:
        return vocab.zh("manual_reason", reason)
    return NO_REASON if method == "manual" else ""


def by_patroller(session: Session, estates: Sequence[Estate], first: date, last: date) -> list:
    """The second sheet's lines: per estate, each patroller's checks of the range (by
    effective time, as the lines) by how they reached their items, by name."""
    out = []
    for estate in estates:
        lo, hi = day_bounds(first, last, ZoneInfo(estate.timezone))
        tallies = presence.tally(session, estate.id, lo, hi)
        names = shown_names(session, {t.user_id for t in tallies})
        for share in presence.by_patroller(tallies, names):
            out.append(
                [
                    estate.name,
                    share.name,
                    share.total,
                    share.scan,
                    share.typed,
                    share.manual,
                    share.scanned_pct,
                    share.no_reason,
                ]
            )
    return out
