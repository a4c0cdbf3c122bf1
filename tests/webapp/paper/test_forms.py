"""The printed forms: filled from checks that came through the sync merge, real text in the PDF
(read back with PDFium), scoped to the reader's estates, and bad choices answered with the
chooser page and its messages."""

from __future__ import annotations

import io
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
from PIL import Image

from webapp.extensions import db
from webapp.models import Estate, Unit

# Where a person looking at the forms wants them, when that folder exists.
SHOTS = Path(tempfile.gettempdir()) / "shots-paper"


def pdf_text(data: bytes) -> str:
    """Every page's text, as a reader's copy-and-paste would give it."""
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def pdf_pages(data: bytes) -> list[Image.Image]:
    document = pdfium.PdfDocument(data)
    try:
        return [page.render(scale=1.5).to_pil() for page in document]
    finally:
        document.close()


def _get(client, path, **params):
    return client.get(path, query_string=params)


def test_the_renovation_form_holds_each_answer_as_given(client, auth, walked):
    """Does 《裝修巡檢表》 for the unit hold both checks: the 否 on 未破壞承重牆 (in red, as a
    failed answer), the note, the photo, the manual pick, with the unit and estate heading?"""
    auth.login("supervisor")
    day = walked["day"]
    response = _get(
        client,
        "/forms/renovation.pdf",
        estate=walked["estate"],
        unit=walked["renovating"],
        start=(day - timedelta(days=3)).isoformat(),
        end=day.isoformat(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    # Named in Chinese for the person saving it, and still sendable (latin-1 on the wire).
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline; filename=")
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("裝修巡檢表-")
    text = pdf_text(response.data)
    assert "《裝修巡檢表》" in text and walked["renovating_label"] in text
    assert "未破壞承重牆" in text and "東牆打鑿，已勒令停止" in text
    assert "否" in text and "是" in text and "手動選取" in text and "掃描" in text
    assert f"{day:%Y-%m-%d}" in text and "09:30" in text
    assert "巡查人簽名" in text and "主管簽名" in text
    pages = pdf_pages(response.data)
    if SHOTS.is_dir():
        pages[0].save(SHOTS / "renovation-form.png")
    # The photo is on the page: a patch of its red among the printed black and white.
    red = sum(
        1
        for r, g, b in pages[0].convert("RGB").get_flattened_data()
        if r > 170 and g < 80 and b < 80
    )
    assert red > 500


def test_the_vacant_forms_show_the_visit_and_every_day(client, auth, walked):
    """Does the record sheet show the failed 無滲漏 and the text answer, and the sign-in sheet
    a line for every day of the month with the visit on its day?"""
    auth.login("engineer")
    month = f"{walked['day']:%Y-%m}"
    record = _get(client, "/forms/vacant-record.pdf", estate=walked["estate"],
                  unit=walked["vacant"], month=month)  # fmt: skip
    assert record.status_code == 200
    text = pdf_text(record.data)
    assert "《空置房屋巡查記錄表》" in text and "無滲漏" in text and "廚房滴水" in text
    sign_in = _get(client, "/forms/vacant-sign-in.pdf", estate=walked["estate"],
                   unit=walked["vacant"], month=month)  # fmt: skip
    assert sign_in.status_code == 200
    text = pdf_text(sign_in.data)
    assert "《空置房屋巡查簽到表》" in text
    first = walked["day"].replace(day=1)
    assert f"{first:%m-%d}" in text and f"{walked['day']:%m-%d}" in text
    assert "09:30" in text


def test_the_signage_record_lists_every_sign_and_its_state(client, auth, walked):
    auth.login("supervisor")
    response = _get(client, "/forms/signage.pdf", estate=walked["estate"],
                    day=walked["day"].isoformat())  # fmt: skip
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "《標識檢查記錄》" in text and walked["sign"] in text
    assert "髒污" in text and "未檢查" in text


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "", "start": "2026-01-01", "end": "2025-01-01"},  # end before start
        {"unit": "", "start": "2026-01-01", "end": "2026-12-31"},  # longer than a quarter
        {"unit": ""},  # no period
        {},
    ],
)
def test_bad_choices_answer_the_page_with_its_messages(client, auth, walked, params):
    """Are choices missing, or that do not go together, answered with the chooser page and
    its messages (422)?"""
    auth.login("supervisor")
    response = _get(client, "/forms/renovation.pdf", estate=walked["estate"], **params)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "field-error" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "value", "params"),
    [
        ("start", "0001-01-01", {"end": "0001-01-02"}),  # a typo of a year
        ("unit", "x", {"start": "2026-01-01", "end": "2026-01-02"}),
        ("unit", "99999999999", {"start": "2026-01-01", "end": "2026-01-02"}),
        ("start", "nope", {"end": "2026-01-02"}),
    ],
)
def test_a_value_no_form_reads_is_a_400_naming_it(client, auth, walked, name, value, params):
    """Is a value that is no day or id a 400 naming it and what was sent, before the chooser
    is looked at?"""
    auth.login("supervisor")
    response = _get(client, "/forms/renovation.pdf", estate=walked["estate"], **{name: value},
                    **params)  # fmt: skip
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert name in body and value in body


def test_another_estates_unit_and_estate_are_refused(client, auth, walked, app, seed):
    """Can a supervisor of one estate print a unit of an estate they do not see, or name that
    estate? (patrol2's estate is the second; the supervisor sees both in the seed, so a user
    who sees only the first is made here.)"""
    from webapp.models import User

    with app.app_context():
        user = User(username="sup-one", role="supervisor", display_name="一區主管")
        user.set_password("sup-one-password")
        user.estates = [db.session.get(Estate, walked["estate"])]
        db.session.add(user)
        other_unit = db.session.scalar(
            sa.select(Unit.id).where(Unit.estate_id == walked["other_estate"])
        )
        db.session.commit()
    auth.login("sup-one", "sup-one-password")
    month = f"{walked['day']:%Y-%m}"
    foreign_unit = _get(client, "/forms/vacant-record.pdf", estate=walked["estate"],
                        unit=other_unit, month=month)  # fmt: skip
    assert foreign_unit.status_code == 404
    foreign_estate = _get(client, "/forms/vacant-record.pdf", estate=walked["other_estate"],
                          month=month)  # fmt: skip
    assert foreign_estate.status_code == 404
    assert "application/pdf" not in foreign_estate.content_type


def test_patrollers_and_the_front_desk_do_not_print_forms(client, auth, walked):
    for username in ("patrol", "desk"):
        auth.login(username)
        assert client.get("/forms/").status_code == 403
        auth.logout()


def test_the_chooser_page_offers_each_form(client, auth, walked):
    auth.login("supervisor")
    page = client.get("/forms/").get_data(as_text=True)
    for name in ("裝修巡檢表", "空置房屋巡查記錄表", "空置房屋巡查簽到表", "標識檢查記錄"):
        assert name in page
    assert walked["renovating_label"] in page  # offered in the unit list


def _csv_rows(data: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_checks_export_has_a_line_per_check_and_its_answers(client, auth, walked):
    """Does the CSV hold each pushed check once, with its answers under the question's column
    (否 under 裝修巡檢·未破壞承重牆), the inspector and how the item was reached?"""
    auth.login("supervisor")
    day = walked["day"]
    response = _get(client, "/forms/checks.csv", estate=walked["estate"],
                    start=(day - timedelta(days=3)).isoformat(), end=day.isoformat())  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    table = _csv_rows(response.data)
    header, body = table[0], table[1:]
    assert "裝修巡檢·未破壞承重牆" in header and "空置房巡查·無滲漏" in header
    ids = [r[header.index("檢查編號 Check id")] for r in body]
    assert all(ids.count(i) == 1 for i in walked["check_ids"])
    col = header.index("裝修巡檢·未破壞承重牆")
    issue = next(r for r in body if r[header.index("結果 Result")] == "有問題" and r[col])
    assert issue[col] == "否"
    assert issue[header.index("方式 Reached by")] == "手動選取"
    assert issue[header.index("備註 Note")] == "東牆打鑿，已勒令停止"
    assert issue[header.index("照片數 Photos")] == "1"
    leak = next(r for r in body if r[header.index("空置房巡查·無滲漏")])
    assert leak[header.index("空置房巡查·無滲漏")] == "否"
    xlsx = _get(client, "/forms/checks.xlsx", estate=walked["estate"],
                start=(day - timedelta(days=3)).isoformat(), end=day.isoformat())  # fmt: skip
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == len(table)


def test_the_checks_export_keeps_to_the_readers_estates(client, auth, walked, app):
    """Does "all my estates" mean the reader's: a supervisor of the first estate gets none of
    the second's checks, and naming the second is refused?"""
    from webapp.models import User

    with app.app_context():
        user = User(username="sup-two", role="supervisor", display_name="二區主管")
        user.set_password("sup-two-password")
        user.estates = [db.session.get(Estate, walked["other_estate"])]
        db.session.add(user)
        db.session.commit()
    auth.login("sup-two", "sup-two-password")
    day = walked["day"]
    mine = _get(client, "/forms/checks.csv", estate="", start=(day - timedelta(days=3)).isoformat(),
                end=day.isoformat())  # fmt: skip
    assert mine.status_code == 200
    header, *body = _csv_rows(mine.data)
    ids = {r[header.index("檢查編號 Check id")] for r in body}
    assert not ids & set(walked["check_ids"])
    assert {r[0] for r in body} <= {"港灣豪庭"}
    theirs = _get(client, "/forms/checks.csv", estate=walked["estate"],
                  start=day.isoformat(), end=day.isoformat())  # fmt: skip
    assert theirs.status_code == 404


def test_a_large_xlsx_is_refused_with_a_message(client, auth, walked, monkeypatch):
    from webapp.paper import views

    monkeypatch.setattr(views, "XLSX_ROWS", 2)
    auth.login("supervisor")
    day = walked["day"]
    response = _get(client, "/forms/checks.xlsx", estate=walked["estate"],
                    start=(day - timedelta(days=3)).isoformat(), end=day.isoformat())  # fmt: skip
    assert response.status_code == 422
    assert "CSV" in response.get_data(as_text=True)


@pytest.mark.parametrize("view", ["day", "week"])
def test_the_coverage_grid_prints_for_a_day_and_a_week(client, auth, walked, view):
    """Does the printed grid name each round and checkpoint, with the dirty sign's window done
    and the day's missed ones marked 漏檢?"""
    auth.login("supervisor")
    response = _get(client, "/forms/coverage.pdf", estate=walked["estate"],
                    day=walked["day"].isoformat(), view=view)  # fmt: skip
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "《巡查覆蓋表》" in text and "標識檢查" in text and walked["sign"] in text
    assert "完成" in text and "應檢" in text
    if SHOTS.is_dir():
        pdf_pages(response.data)[0].save(SHOTS / f"coverage-{view}.png")


def test_the_coverage_grid_refuses_a_bad_span(client, auth, walked):
    """Is a span that is neither a day nor a week a 400 naming it?"""
    auth.login("supervisor")
    response = _get(client, "/forms/coverage.pdf", estate=walked["estate"],
                    day=walked["day"].isoformat(), view="year")  # fmt: skip
    assert response.status_code == 400
    assert "view" in response.get_data(as_text=True)


@pytest.mark.parametrize("month", ["2026-13", "0001-01", "soon", "2026-3"])
def test_a_bad_month_is_refused_with_a_message(client, auth, walked, month):
    """Is a month that is no month a 400 naming it and how to write one?"""
    auth.login("supervisor")
    response = _get(client, "/forms/vacant-sign-in.pdf", estate=walked["estate"], month=month)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "month" in body and month in body and "YYYY-MM" in body


def test_no_month_is_asked_for_on_the_chooser(client, auth, walked):
    """Is a month not given answered with the chooser and its message (422)?"""
    auth.login("supervisor")
    response = _get(client, "/forms/vacant-sign-in.pdf", estate=walked["estate"], month="")
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)
