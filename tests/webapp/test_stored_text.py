"""What people typed is shown as text on every page, whatever it holds.

Every free-text column the app stores (names of estates, buildings, keys and people, notes,
places, borrowers, the desk's items and handovers, requests, resolutions...) is filled with
text that has broken apps — markup, a template expression, a formula, control characters,
right-to-left marks, characters outside the fonts, text at its column's length — and every GET
route of ``app.url_map`` is read as a role it allows: each answers below 500, and no page or
fragment carries the markup live. (Spreadsheet cells: test_export_injection.py.)
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions
from tests.webapp.test_asvs import DEMO_USER, _rules, _url
from webapp.extensions import db

LIVE = "<script>alert(1)</script>"
TEXTS = [
    LIVE,
    "{{ 7*7 }}{% raw %}%s%(x)s",
    '=HYPERLINK("http://evil.example","點我")',
    "\x01控\x0b制\x1b[31m",
    "🔑𠀀\u202e倒\u200b",
    "\"'&amp;<b>",
]
# Free text, by table: what a person (or a phone) typed.
FREE = {
    "estate": ["name"],
    "user": ["display_name"],
    "building": ["name"],
    "device": ["name"],
    "sign": ["location", "description"],
    "key": ["name", "equipment_room", "holder_name"],
    "key_event": ["borrower_name", "purpose"],
    "key_request": ["borrower_name", "purpose", "reason"],
    "key_resolution": ["holder_name", "note"],
    "key_approval": ["borrower_name", "note"],
    "desk_item": [
        "resident_name", "description", "received_from", "decision_note", "collector_name",
        "close_note",
    ],
    "desk_item_event": ["note"],
    "desk_handover": ["outgoing_name", "incoming_name", "note"],
    "finding": ["location", "category", "note"],
    "finding_event": ["body"],
    "check_record": ["note"],
    "round_template": ["name"],
    "label_code": ["retired_reason"],
}  # fmt: skip


def _fill(app) -> int:
    """Every free-text cell of every row filled with one of TEXTS, cut to its column."""
    filled = 0
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = FREE.get(table.name)
            if not columns:
                continue
            keys = list(table.primary_key.columns)
            for row in db.session.execute(sa.select(*keys)).all():
                values = {}
                for column in columns:
                    text = f"{TEXTS[filled % len(TEXTS)]} {filled}"
                    length = getattr(table.c[column].type, "length", None)
                    values[column] = text[:length] if length else text
                    filled += 1
                where = [key == value for key, value in zip(keys, row, strict=True)]
                db.session.execute(table.update().where(*where).values(**values))
        db.session.execute(sa.text("UPDATE desk_handover SET tasks = :t"), {"t": f'["{LIVE}"]'})
        db.session.commit()
    return filled


@pytest.mark.parametrize("role", sorted(DEMO_USER))
def test_every_page_shows_stored_text_as_text(app, seed, role):
    """With hostile text in every free-text column, does every GET route the role may read
    answer below 500, and no HTML page or fragment carry a live <script>?"""
    assert _fill(app) > 200
    client = app.test_client()
    assert AuthActions(client).login(DEMO_USER[role]).status_code in (302, 303)
    read, found = 0, []
    for rule, spec in _rules(app):
        if "GET" not in rule.methods or spec.public or role not in spec.roles:
            continue
        url = _url(app, rule, spec, seed.estate_ids[0])
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            body = response.get_data()
            read += 1
            if response.status_code >= 500:
                found.append(f"GET {url} {headers}: {response.status_code}")
            elif response.mimetype == "text/html" and LIVE.encode() in body:
                found.append(f"GET {url} {headers}: the markup is live")
            response.close()
    assert read > 10 and not found, found
