"""PDF rows: the CPU one printed PDF costs with the font faces parsed once per process
(webapp/paper/faces.py), against fpdf2's ``add_font`` reading both Noto Sans Hant faces again
for every document (how every PDF was made before), in the same run and on the same demo data.

- a supervisor's daily digest of both demo estates (what the digest jobs print, one a person);
- a rectification notice 《裝修違規整改通知單》 (printed on demand at the office);
- a month's 《裝修巡檢表》 of one renovating unit (a form printed on demand);
- a blank form: the header and footer alone, what the fonts cost and little else.

CPU seconds of this process (``time.process_time``): the least of REPEAT runs of each, the
two ways taken in turn, so a noisy neighbour on the shared host weighs on both alike. The
``met`` column says whether both ways made the very same bytes (they must).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import Row, bench_app
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db

REPEAT = 7
PRINTED = datetime(2026, 11, 30, 9, 15, tzinfo=ZoneInfo("Asia/Taipei"))


def _cpu(make: Callable[[], bytes], repeat: int = REPEAT) -> tuple[float, float, bool]:
    """(least CPU seconds with the faces held, least with fpdf2's add_font per document,
    whether both made the same bytes)."""
    from webapp.paper import faces

    held, per_document = float("inf"), float("inf")
    made = set()
    make()  # the faces parsed, imports done: a process that has printed before
    for _ in range(repeat):
        started = time.process_time()
        made.add(make())
        held = min(held, time.process_time() - started)
        with mock.patch.object(faces, "face", lambda _path: None):
            started = time.process_time()
            made.add(make())
            per_document = min(per_document, time.process_time() - started)
    return held, per_document, len(made) == 1


def _makers(app) -> dict[str, Callable[[], bytes]]:
    from sync.blobs import from_config
    from webapp import digest_registry
    from webapp.alerts import digest_paper, messages
    from webapp.models import Estate, Unit, User
    from webapp.models.renovation import RectificationNotice
    from webapp.paper import checksheet, notice, records
    from webapp.paper.pdf import Paper

    estates = list(db.session.scalars(sa.select(Estate).order_by(Estate.id)))
    supervisor = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
    day = datetime.now(UTC).date()
    period = digest_registry.Period.of("daily", day, datetime.now(UTC))
    data = digest_registry.build(db.session, supervisor, estates, period)
    store = from_config(app.config)
    rectification = db.session.scalar(
        sa.select(RectificationNotice).order_by(RectificationNotice.year, RectificationNotice.seq)
    )
    estate = estates[0]
    zone = ZoneInfo(estate.timezone)
    unit = db.session.scalar(
        sa.select(Unit)
        .where(Unit.estate_id == estate.id, Unit.status == "renovating")
        .order_by(Unit.id)
    )
    first = date(day.year, day.month, 1)
    rows = records.read_checks(db.session, estate_id=estate.id, tz=zone, first=first, last=day,
                               kind="renovation", item_type="unit", item_ids=[unit.id],
                               blobs=store)  # fmt: skip

    def digest() -> bytes:
        with messages.sending("zh_Hant_TW"):
            return digest_paper.pdf(data, person="陳主任", printed=PRINTED,
                                    link="https://rounds.example.com/alerts")  # fmt: skip

    def blank() -> bytes:
        paper = Paper(estate=estate.name, title_zh="巡查", title_en="Rounds", printed=PRINTED)
        paper.add_page()
        return paper.output_bytes()

    return {
        f"daily digest of {len(estates)} estates": digest,
        "rectification notice": lambda: notice.render(db.session, rectification, store, PRINTED),
        "《裝修巡檢表》 a month of one unit": lambda: checksheet.render_records(
            checksheet.RENOVATION, estate, [unit], rows, first, day, PRINTED
        ),
        "a blank form (header and footer: the fonts alone)": blank,
    }


def rows() -> list[Row]:
    out = []
    with bench_app() as app:
        build_demo(db.session, DemoOptions(estates=2, units_per_estate=200, days=30))
        db.session.commit()
        for name, make in _makers(app).items():
            held, per_document, same = _cpu(make)
            out.append(
                Row(
                    f"PDF: {name}, faces parsed once per process",
                    held * 1000,
                    "ms CPU",
                    "fpdf2's add_font per document",
                    per_document * 1000,
                    "same bytes",
                    same,
                )
            )
    return out
