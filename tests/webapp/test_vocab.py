"""Enumerations: each lives once in webapp/vocab.py, with both names, and every screen uses it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from webapp import vocab

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("webapp/**/*.py", "sync/*.py", "templates/**/*.html", "static/js/*.js")
# Colours and marks by value are the page's styling, not the enumeration's names; the phone's
# scripts cannot import vocab.py (the round kinds' order there is their sort).
STYLE_MAPS = {
    ("templates/items/_key_status.html", "key_status"),
    ("templates/registry/_macros.html", "key_status"),
    ("templates/rounds/coverage.html", "coverage_status"),
    ("templates/keys/_request_parts.html", "key_request_status"),
    ("static/js/_rounds_data.js", "round_kind"),
    ("templates/renovation/_permit_results.html", "permit_state"),
}


def test_every_value_has_two_names():
    """Does every vocabulary value carry a zh-Hant and an en name?"""
    for name, values in vocab.VOCABULARIES.items():
        for value, names in values.items():
            assert len(names) == 2 and all(names), (name, value)


def test_no_enumeration_is_copied():
    """Is no enumeration of four or more values written out again outside vocab.py? A line
    quoting all its values is a copy: severities were written in five places, borrower types
    in four, and the copies had drifted (a finding's "open" was 開啟 on the review pages and
    待派工 on the phone). A subset is a rule (who holds a key), not a copy."""
    copies = []
    for pattern in SOURCES:
        for path in ROOT.glob(pattern):
            if path.name == "vocab.py":
                continue
            where = str(path.relative_to(ROOT))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                quoted = set(re.findall(r"""["']([a-z_]+)["']""", line))
                for name, values in vocab.VOCABULARIES.items():
                    copied = len(values) >= 4 and set(values) <= quoted
                    if copied and (where, name) not in STYLE_MAPS:
                        copies.append((f"{where}:{number}", name))
    assert copies == [], "import it from webapp.vocab (i18n.terms / Terms in templates)"


def test_a_finding_status_has_one_name_on_every_screen(client, auth, seed):
    """Is an open finding 待派工 both on the review pages and on the phone's item history?"""
    auth.login("supervisor")
    html = client.get("/review/findings?status=open").get_data(as_text=True)
    assert ">待派工</option>" in html and ">開啟<" not in html
    shell = client.get("/app").get_data(as_text=True)
    history = re.search(r'id="phone-history-config">(.*?)</script>', shell).group(1)
    assert json.loads(history)["statuses"]["open"] == "待派工"


def test_floor_name_writes_a_basement_as_b1():
    """Is a floor written 15樓, and a basement B1 (not -1樓, which made 「2單元--1樓」)?"""
    table = {None: "", -2: "B2", -1: "B1", 1: "1樓", 15: "15樓"}
    assert {floor: vocab.floor_name(floor) for floor in table} == table


def _unit_code(app, seed, **changes):
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.labels import codes
    from webapp.models import Estate, Unit
    from webapp.registry import changes as registry_changes
    from webapp.renovation import permits
    from webapp.renovation.status import estate_today

    with app.app_context():
        unit = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == seed.estate_ids[0], Unit.status == "vacant")
        ).first()
        if "floor" in changes:
            unit.floor = changes["floor"]
        if changes.get("status") == "renovating":  # from a permit, never by hand (issue 20)
            estate = db.session.get(Estate, unit.estate_id)
            values = {"unit_id": unit.id, "number": "T-1", "starts_on": estate_today(estate)}
            permits.create(db.session, estate, values, None)
        elif "status" in changes:
            registry_changes.set_status(db.session, unit, changes["status"], None)
        db.session.commit()
        return codes.active_code(db.session, "unit", unit.id).code, unit.label


def test_a_basement_unit_reads_b1_on_its_label_and_page(app, client, auth, seed):
    """Does a unit on floor -1 read 「…-2單元-B1-…室」 on its label text and its page?"""
    code, label = _unit_code(app, seed, floor=-1)
    assert "-B1-" in label and "-1樓" not in label
    auth.login("supervisor")
    html = client.get(f"/q/{code}").get_data(as_text=True)
    assert "<dd>B1</dd>" in html and "-1樓" not in html


def test_a_registry_change_is_named_in_words(app, client, auth, seed):
    """Does the item's history name a status change in words in both languages, never its raw
    action (it read 「登記資料變更：unit.status」)?"""
    code, _label = _unit_code(app, seed, status="renovating")
    auth.login("supervisor")
    html = client.get(f"/q/{code}").get_data(as_text=True)
    assert "unit.status" not in html
    assert "登記資料變更：狀態變更（空置 → 裝修中）" in html
    client.post("/language", data={"locale": "en", "csrf_token": auth.csrf("/")})
    html = client.get(f"/q/{code}").get_data(as_text=True)
    assert "Registry record changed: Status changed (Vacant → Under renovation)" in html


def _phone_config(client, english: bool = False) -> dict:
    headers = {"Accept-Language": "en"} if english else {}
    shell = client.get("/app", headers=headers).get_data(as_text=True)
    return json.loads(re.search(r'id="phone-config">(.*?)</script>', shell, re.S).group(1))


def test_finding_categories_have_one_home(client, seed):
    """Are the finding categories' names written once, in vocab.py, and is that what the
    phone's picker offers, the server's own findings are filed under and the Saturday report's
    English page names them by? The report kept a second list of their English names
    (report_tables.CATEGORIES_EN) beside the phone's, and it had drifted from the glossary
    (連續拒絕入戶 was "Entry refused twice" there, "Refused twice in a row" in docs/glossary.md)."""
    from sync import derived
    from tests.webapp.test_glossary import _terms
    from webapp.renovation import report_tables

    categories = vocab.FINDING_CATEGORIES
    copies = []
    for pattern in (*SOURCES, "static/js/**/*.js"):
        for path in ROOT.glob(pattern):
            if path.name == "vocab.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                quoted = set(re.findall(r'"([^"]+)"', line)) | set(re.findall(r"'([^']+)'", line))
                copies += [
                    (f"{path.relative_to(ROOT)}:{number}", value)
                    for value, (zh, en) in categories.items()
                    if zh in quoted and en in quoted
                ]
    assert copies == [], "name a category by vocab.FINDING_CATEGORIES (terms in templates)"

    assert all(zh == value for value, (zh, _en) in categories.items())  # stored as zh names
    picked = [v for v in categories if v not in vocab.FINDING_CATEGORIES_RAISED_ONLY]
    assert _phone_config(client)["categories"] == [[v, categories[v][0]] for v in picked]
    english = _phone_config(client, english=True)["categories"]
    assert english == [[v, categories[v][1]] for v in picked]
    raised = {*derived.ROUND_CATEGORY.values(), derived.OTHER_CATEGORY}
    raised |= {derived.RELABEL_CATEGORY, derived.REFUSED_CATEGORY}
    assert raised <= set(categories)
    assert set(vocab.FINDING_CATEGORIES_RAISED_ONLY) <= raised

    numbers = {"categories": [{"category": v, "reported": 1, "open": 0} for v in categories]}
    numbers["total"] = len(categories)
    table = report_tables._reported(numbers, en=True)
    assert [row[0] for row in table.rows[:-1]] == [en for _zh, en in categories.values()]
    glossary = set(_terms())
    assert [v for v, (zh, en) in categories.items() if (en, zh) not in glossary] == []


def _shown_text(html: str) -> str:
    """What a page shows: its text without tags (a value in an attribute is not shown)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_an_english_reader_reads_every_category_in_english(app, client, auth, seed):
    """Does every page that names a finding's category name it in the reader's language — the
    findings list and its filter, a finding's page and title, the dashboard's overdue table and
    chart, engineering's home, the export, a check's record and a patroller's day, the item's
    history, the desk's handover? They showed the stored Chinese name (蟲害) on English
    pages."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.models import Estate, LabelCode, User
    from webapp.models.review import FindingState
    from webapp.models.sync import Check, Finding
    from webapp.models.types import utcnow

    estate = seed.estate_ids[0]
    with app.app_context():
        pests, hazard = db.session.scalars(
            sa.select(Finding)
            .where(Finding.estate_id == estate, Finding.check_id.is_not(None))
            .where(Finding.item_type.is_not(None))
            .order_by(Finding.id)
            .limit(2)
        ).all()
        for finding, category, department in (
            (pests, "蟲害", "engineering"),
            (hazard, "安全隱患", "customer_service"),  # the desk's department
        ):
            finding.category, finding.status = category, "dispatched"
            state = db.session.get(FindingState, finding.id) or FindingState(
                finding_id=finding.id, estate_id=estate
            )
            state.status, state.department = "dispatched", department
            state.due_at = utcnow() - timedelta(days=2)
            db.session.add(state)
        check = db.session.get(Check, pests.check_id)
        patroller = db.session.get(User, check.user_id)
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == pests.item_type,
                LabelCode.item_id == pests.item_id,
                LabelCode.active,
            )
        )
        zone = ZoneInfo(db.session.get(Estate, estate).timezone)
        day = check.occurred_at.astimezone(zone)
        pages = {
            "supervisor": [
                "/review/findings",
                f"/review/findings/{pests.id}",
                "/review/dashboard",
                "/review/findings.csv",
                f"/records/checks/{check.id}",
                f"/records/people/{patroller.id}?day={day.date().isoformat()}",
                f"/q/{code}",
            ],
            "engineer": ["/"],
            "desk": ["/desk/handover"],
        }
        db.session.commit()
    english = {"Accept-Language": "en"}
    wrong = []
    for user, paths in pages.items():
        auth.login(user)
        for path in paths:
            response = client.get(path, headers=english)
            assert response.status_code == 200, path
            shown = _shown_text(response.get_data(as_text=True))
            names = ("Pests", "蟲害") if user != "desk" else ("Safety hazard", "安全隱患")
            if names[0] not in shown or names[1] in shown:
                wrong.append(path)
        auth.logout()
    assert wrong == []
