"""Owner keys issued at the front desk (issue 19 item 4): one unit's owner keys scanned, the
owner's identity document checked (its type and only the last 4 of its number), the owner's
signature drawn on the desk's screen; recorded as the phones' ``key.issue`` (chain, loan record,
history), a receipt 《業主鑰匙簽收單》 printed; every refusal a 422 beside its field with nothing
stored; a whole ID number never kept anywhere."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from tests.webapp.desk.conftest import other_desk, png  # noqa: F401
from tests.webapp.keys.conftest import (
    chain_intact,
    fail_nth,
    key_of,
    key_tags,
    op,
    push_one,
    row_counts,
)
from tests.webapp.paper.test_forms import pdf_text
from webapp.extensions import db
from webapp.models import Key, LabelCode
from webapp.models.sync import KeyEvent, PhotoBlob, PhotoLink, QuarantinedOp, SyncOp

BASE = "http://127.0.0.1:5000"  # what the tests' labels print


def unit_keys(app, estate_id: int, n: int = 2, skip: int = 0) -> list[tuple[str, str]]:
    """(long code, short code) of n untouched owner keys of one unit (the ``skip``-th such)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Key.unit_id, LabelCode.code, LabelCode.short_code)
            .join(LabelCode, sa.and_(LabelCode.item_id == Key.id, LabelCode.item_type == "key"))
            .where(
                Key.estate_id == estate_id,
                Key.key_class == "owner",
                Key.status == "in",
                LabelCode.active,
                ~sa.exists().where(KeyEvent.key_id == Key.id),
            )
            .order_by(Key.unit_id, Key.id)
        ).all()
    units: dict[int, list[tuple[str, str]]] = {}
    for unit_id, code, short in rows:
        units.setdefault(unit_id, []).append((code, short))
    full = [tags[:n] for tags in units.values() if len(tags) >= n]
    return full[skip]


def issue(client, auth, entries, *, name="業主陳大文", id_type="hk_identity_card",
          last4="123a", signature=b"", drawn=True):  # fmt: skip
    """Post the desk's owner-issue form (the signature as the page sends it: a PNG file)."""
    data = {
        "csrf_token": auth.csrf("/keys/owner/"),
        "codes": "\n".join(entries),
        "owner_name": name,
        "id_type": id_type,
        "id_last4": last4,
    }
    if drawn:
        data["signature"] = (io.BytesIO(signature or png()), "signature.png", "image/png")
    return client.post("/keys/owner/", data=data, content_type="multipart/form-data")


def label(app, code) -> str:
    with app.app_context():
        item = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        return db.session.get(Key, item).label


def stored(app) -> dict[str, int]:
    """The register's rows, the sync log and the photo store: a refusal adds none."""
    counts = row_counts(app)
    with app.app_context():
        for model in (PhotoBlob, PhotoLink):
            counts[model.__tablename__] = db.session.scalar(
                sa.select(sa.func.count()).select_from(model)
            )
    return counts


def issue_events(app, code) -> list[KeyEvent]:
    key = key_of(app, code)
    with app.app_context():
        events = list(
            db.session.scalars(
                sa.select(KeyEvent).where(KeyEvent.key_id == key.id, KeyEvent.action == "issue")
            )
        )
        for e in events:
            db.session.expunge(e)
        return events


def pdf_images(data: bytes) -> int:
    """How many images the PDF's pages draw."""
    document = pdfium.PdfDocument(data)
    try:
        return sum(
            1
            for page in document
            for obj in page.get_objects()
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        )
    finally:
        document.close()


# ------------------------------------------------------------------ the issue


@pytest.mark.parametrize("form", ["url", "short", "long"])
def test_the_desk_issues_a_units_owner_keys_with_the_id_checked(app, client, auth, seed, form):
    """Are two owner keys of one unit — scanned as label URLs, typed as short codes or as long
    codes — issued to the owner by one post: one ``key.issue`` each through the merge, with the
    ID's type and last 4 (upper case), the drawn signature a vouched PNG blob linked to each, the
    desk user as 經手人, and the chain intact?"""
    (a, a_short), (b, b_short) = unit_keys(app, seed.estate_ids[0])
    entries = {
        "url": [f"{BASE}/q/{a}", f"{BASE}/q/{b}"],
        "short": [f"{a_short[:4]}-{a_short[4:]}", b_short.lower()],
        "long": [a, b.lower()],
    }[form]
    auth.login("desk")
    before = stored(app)
    response = issue(client, auth, entries)
    assert response.status_code == 303, response.get_data(as_text=True)
    after = stored(app)
    assert after["key_event"] - before["key_event"] == 2
    assert after["sync_op"] - before["sync_op"] == 2
    assert after["photo_blob"] - before["photo_blob"] == 1
    assert after["photo_link"] - before["photo_link"] == 2
    for code in (a, b):
        key = key_of(app, code)
        assert (key.status, key.holder_name, key.holder_type) == ("issued", "業主陳大文", "owner")
        (event,) = issue_events(app, code)
        assert (event.id_type, event.id_last4) == ("hk_identity_card", "123A")
        assert event.user_id == seed.user_ids["desk"]
    ids = {issue_events(app, code)[0].id for code in (a, b)}
    with app.app_context():
        links = db.session.scalars(sa.select(PhotoLink).where(PhotoLink.record_id.in_(ids))).all()
        assert len(links) == 2 and len({link.sha256 for link in links}) == 1
        assert all(link.vouched and link.record_type == "key_event" for link in links)
        ops = db.session.scalars(sa.select(SyncOp).where(SyncOp.type == "key.issue")).all()
        assert any(o.payload.get("id_last4") == "123A" for o in ops)
    assert chain_intact(app)
    # The confirmation page names the keys, the owner, the ID (masked) and who handed them over.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "香港身份證 ****123A" in page and "業主陳大文" in page and "張美玲" in page
    assert page.count('class="keys-label"') == 2 and "receipt.pdf" in page


def test_the_basket_is_shown_as_it_is_scanned(app, client, auth, seed):
    """Does the basket preview (htmx, as the scanner types) list each owner key scanned, and
    name what keeps a public-area key back?"""
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    ((public, _),) = key_tags(app, seed.estate_ids[0], "public_area")
    auth.login("desk")
    codes = "\n".join([f"{BASE}/q/{a}", b, public])
    page = client.get("/keys/owner/basket", query_string={"codes": codes}).get_data(as_text=True)
    assert page.count("is-ok") == 2 and page.count("is-refused") == 1
    assert label(app, a) in page and "不是業主鑰匙" in page


def test_the_issue_shows_in_the_ledger_history_and_export(app, client, auth, seed):
    """Do the loan record (page and CSV) and the key's /q/ history show the ID checked (type and
    last 4, masked) and link the receipt?"""
    ((a, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    auth.login("desk")
    assert issue(client, auth, [a], last4="9Z8y").status_code == 303
    (event,) = issue_events(app, a)
    receipt = f"/keys/owner/{event.key_id}/{event.id}"

    ledger = client.get(f"/keys/ledger?key={a}").get_data(as_text=True)
    assert "香港身份證 ****9Z8Y" in ledger and receipt in ledger
    rows = list(
        csv.reader(io.StringIO(client.get(f"/keys/ledger.csv?key={a}").text.lstrip("\ufeff")))
    )
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["核驗證件"] == "香港身份證 ****9Z8Y" and line["借用人"] == "業主陳大文"

    history = client.get(f"/q/{a}", follow_redirects=True).get_data(as_text=True)
    assert "核驗證件：香港身份證 ****9Z8Y" in history and receipt in history


def test_the_receipt_is_a_pdf_with_the_id_masked_and_the_signature(app, client, auth, seed):
    """Is the receipt an A4 PDF of real text — 《業主鑰匙簽收單》, the estate, the unit's keys, the
    owner, the ID type and ****last 4, who handed them over, the desk's signature line — with the
    drawn signature as an image, named in Chinese?"""
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    auth.login("desk")
    location = issue(client, auth, [a, b], name="業主李嘉欣", id_type="passport", last4="K789")
    pdf = client.get(location.headers["Location"] + "/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    disposition = pdf.headers["Content-Disposition"]
    assert disposition.startswith("inline") and "業主鑰匙簽收單" in unquote(disposition)
    text = pdf_text(pdf.data)
    for words in ("業主鑰匙簽收單", "Owner key receipt", "業主李嘉欣", "護照 Passport", "****K789",
                  "張美玲", "經手人簽名", label(app, a), label(app, b)):  # fmt: skip
        assert words in text, words
    assert "翠湖花園" in text or str(seed.estate_ids[0]) in text
    assert pdf_images(pdf.data) == 1
    with pdfium.PdfDocument(pdf.data) as document:
        width, height = document[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_a_phones_issue_has_a_receipt_without_the_id(app, client, auth, make_phone, seed):
    """Does an issue from an older phone (no ID fields) still get a receipt, saying the ID was
    not recorded, and print no signature it does not have?"""
    phone = make_phone("desk", "desk")
    ((a, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    result = push_one(phone, op("key.issue", code=a, owner_name="舊手機業主"))
    assert result["status"] == "applied"
    (event,) = issue_events(app, a)
    assert (event.id_type, event.id_last4) == (None, None)
    auth.login("desk")
    page = client.get(f"/keys/owner/{event.key_id}/{event.id}").get_data(as_text=True)
    assert "未記錄" in page
    text = pdf_text(client.get(f"/keys/owner/{event.key_id}/{event.id}/receipt.pdf").data)
    assert "舊手機業主" in text and "未記錄 Not recorded" in text and "No signature drawn" in text


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("rejected", "{key} 未能記錄，這一籃鑰匙都沒有記錄"),
        ("conflict", "{key}：與鑰匙的記錄不符（前臺記錄時鑰匙的記錄有變動），這一籃鑰匙都沒有記錄"),
        ("fault", "{key} 未能記錄（系統出錯"),
    ],
)
def test_an_issue_the_merge_refuses_for_one_key_records_none(
    app, client, auth, seed, monkeypatch, how, says
):
    """When the merge refuses the owner's second key (a refusal raised in its handler, a
    conflict, or a fault) after the desk's checks passed, is neither key issued — no event, op,
    quarantine, audit, blob or link row — and the form shown again as entered (keys, owner, ID
    type and last 4), the key that failed named?"""
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    fail_nth(monkeypatch, "key.issue", 2, how)
    auth.login("desk")
    before = stored(app)
    response = issue(client, auth, [a, b], name="業主何美華", id_type="passport", last4="K789")
    page = response.get_data(as_text=True)
    assert response.status_code == (500 if how == "fault" else 422), page
    assert says.format(key=label(app, b)) in page
    assert f"{a}\n{b}" in page and 'value="業主何美華"' in page and 'value="K789"' in page
    assert stored(app) == before
    assert key_of(app, a).status == key_of(app, b).status == "in"
    assert chain_intact(app)


# ------------------------------------------------------------------ refusals


def _refused(app, client, auth, response, says, before, codes):
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert says in page, page
    assert stored(app) == before
    for code in codes:
        assert key_of(app, code).status in ("in", "out", "issued", "disputed")
    return page


@pytest.mark.parametrize(
    ("change", "says", "field"),
    [
        ({"id_type": "driving_licence"}, "選擇已核驗的證件", "id_type"),
        ({"id_type": ""}, "選擇已核驗的證件", "id_type"),
        ({"last4": "123"}, "證件號碼的末四位", "id_last4"),
        ({"last4": "12#4"}, "只限英文字母及數字", "id_last4"),
        ({"last4": "身份證號"}, "只限英文字母及數字", "id_last4"),
        ({"last4": ""}, "證件號碼的末四位", "id_last4"),
        ({"name": ""}, "請填寫業主姓名", "owner_name"),
        ({"drawn": False}, "業主必須簽名", "signature"),
        ({"signature": "blank"}, "業主必須簽名", "signature"),
        ({"signature": "not-png"}, "簽名不是在本頁繪製", "signature"),
    ],
)
def test_a_bad_field_is_refused_beside_it(app, client, auth, seed, change, says, field):
    """Is each bad field (an ID type off the list, a last 4 that is not 4 letters or digits, no
    owner, no signature, a blank pad, not a PNG) a 422 with its message beside the field, the
    keys still in and nothing stored (no event, op, quarantine, audit, blob, link)?"""
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    if change.get("signature") == "blank":
        change = {"signature": png(ink=False)}
    elif change.get("signature") == "not-png":
        change = {"signature": b"GIF89a not a drawing"}
    auth.login("desk")
    before = stored(app)
    page = _refused(app, client, auth, issue(client, auth, [a, b], **change), says, before, [])
    assert f'id="{field}-error"' in page
    assert key_of(app, a).status == key_of(app, b).status == "in"


def test_a_whole_id_number_is_refused_and_never_kept(app, client, auth, seed):
    """Is a whole ID number typed where the last 4 go refused (saying only the last 4 are kept),
    not even echoed back into the page — and after that refusal and an issue with the last 4,
    is the whole number in no column of any table?"""
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    auth.login("desk")
    before = stored(app)
    # Digits no other test stores (the session's database holds every test's rows: a phone
    # number ending 654321 once made this count 2 on PostgreSQL's run).
    whole, digits = "K902817(3)", "902817"
    already = _everything_stored(app).count(digits)
    page = _refused(
        app, client, auth, issue(client, auth, [a, b], last4=whole), "全號不予保存", before, [a, b]
    )
    assert digits not in page
    assert issue(client, auth, [a, b], last4="8173").status_code == 303
    assert _everything_stored(app).count(digits) == already
    assert "8173" in _everything_stored(app)


def _everything_stored(app) -> str:
    """Every row of every table as text (JSON columns included)."""
    with app.app_context():
        out = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                out.append(repr(tuple(row)))
        return "\n".join(out)


@pytest.mark.parametrize("custody", ["issued", "out", "public_area"])
def test_a_key_that_cannot_be_issued_is_refused(app, client, auth, seed, custody):
    """Is a key already issued, one out on loan, or a key that is not an owner key refused with
    its reason in the basket, nothing stored?"""
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    auth.login("desk")
    if custody == "issued":
        assert issue(client, auth, [a], name="前業主").status_code == 303
        says = "交業主 前業主"
    elif custody == "out":
        lend = client.post(
            "/keys/lend",
            data={
                "csrf_token": auth.csrf("/keys/desk"),
                "codes": a,
                "borrower_name": "陳師傅",
                "borrower_type": "contractor",
                "purpose": "維修",
                "due_back": "2031-01-01T18:00",
            },
        )
        assert lend.status_code == 303
        says = "陳師傅"
    else:
        ((a, _),) = key_tags(app, seed.estate_ids[0], "public_area")
        says = "不是業主鑰匙"
    before = stored(app)
    page = _refused(app, client, auth, issue(client, auth, [a]), says, before, [a])
    assert "is-refused" in page


def test_another_estates_key_is_refused_as_no_key_of_yours(
    app,
    client,
    auth,
    seed,
    other_desk,  # noqa: F811 (the desk's fixture, imported)
):
    """Is another estate's owner key refused exactly as a code no key has (no leak of whether it
    exists), and is another estate's issue — its page and its receipt — 404?"""
    ((theirs, theirs_short),) = unit_keys(app, seed.estate_ids[1], n=1)
    auth.login("desk")
    before = stored(app)
    foreign = _refused(app, client, auth, issue(client, auth, [theirs_short]), "沒有這個代碼的鑰匙",
                       before, [theirs])  # fmt: skip
    assert f"「{theirs_short}」：您負責的小區沒有這個代碼的鑰匙" in foreign
    ((mine, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    assert issue(client, auth, [mine]).status_code == 303
    (event,) = issue_events(app, mine)
    auth.logout()
    auth.login(*other_desk)
    page = f"/keys/owner/{event.key_id}/{event.id}"
    for url in (page, f"{page}/receipt.pdf"):
        assert client.get(url).status_code == 404
    # Their own key, named with an event of ours: 404 too.
    theirs_key = key_of(app, theirs)
    assert client.get(f"/keys/owner/{theirs_key.id}/{event.id}").status_code == 404


def test_an_issue_id_with_more_after_it_names_nothing(app, client, auth, seed):
    """Is an issue's page or receipt asked for with its id and more after it a 404? The page
    read the id's first 36 characters and showed the issue (a padded id found the record)."""
    ((mine, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    auth.login("desk")
    assert issue(client, auth, [mine]).status_code == 303
    (event,) = issue_events(app, mine)
    page = f"/keys/owner/{event.key_id}/{event.id}"
    assert client.get(page).status_code == 200
    for padded in (f"{event.id}x", f"{event.id}0000", event.id + "-" * 200):
        for url in (
            f"/keys/owner/{event.key_id}/{padded}",
            f"/keys/owner/{event.key_id}/{padded}/receipt.pdf",
        ):
            assert client.get(url).status_code == 404, url


def test_keys_of_two_units_are_refused(app, client, auth, seed):
    """Is a basket of owner keys of two units refused (one owner, one unit), nothing stored?"""
    ((a, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    ((b, _),) = unit_keys(app, seed.estate_ids[0], n=1, skip=1)
    auth.login("desk")
    before = stored(app)
    _refused(app, client, auth, issue(client, auth, [a, b]), "一位業主、一個房屋", before, [a, b])


def test_only_the_desk_and_supervisors_issue(app, client, auth, seed):
    """Do a patroller, engineering and an admin get 403 from the form and its post?"""
    ((a, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    for user in ("patrol", "engineer", "admin"):
        auth.login(user)
        assert client.get("/keys/owner/").status_code == 403
        assert issue(client, auth, [a]).status_code == 403
        auth.logout()
    assert key_of(app, a).status == "in"


# ------------------------------------------------------------------ the phone's op, the chain


def test_the_phone_sends_the_id_check_with_its_issue(app, make_phone, seed):
    """Does a phone's ``key.issue`` with id_type and id_last4 store them; a whole number sent
    by a faulty phone is cut to its last 4 before anything is kept (op log, event); a type off
    the list or one field without the other is rejected — the quarantine holds no whole number?"""
    phone = make_phone("desk", "desk")
    (a, _), (b, _) = unit_keys(app, seed.estate_ids[0])
    result = push_one(
        phone, op("key.issue", code=a, owner_name="手機業主", id_type="passport", id_last4="0042")
    )
    assert result["status"] == "applied"
    assert [(e.id_type, e.id_last4) for e in issue_events(app, a)] == [("passport", "0042")]

    whole = op("key.issue", code=b, owner_name="手機業主", id_type="hk_identity_card",
               id_last4="Z765432(1)")  # fmt: skip
    assert push_one(phone, whole)["status"] == "applied"
    assert [e.id_last4 for e in issue_events(app, b)] == ["4321"]

    for payload in ({"id_type": "library_card", "id_last4": "Q9876543"}, {"id_type": "passport"}):
        bad = push_one(phone, op("key.issue", code=b, owner_name="手機業主", **payload))
        assert bad["status"] == "rejected" and bad["error"] == "validation"
    everything = _everything_stored(app)
    assert "765432" not in everything and "9876543" not in everything
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarantinedOp)) >= 2
    assert chain_intact(app)


def test_the_chain_seals_the_id_check(app, client, auth, seed):
    """Is an issue's ID check sealed in the key's hash chain (an edited last 4 breaks it), and
    does the database refuse a last 4 of any other length?"""
    ((a, _),) = unit_keys(app, seed.estate_ids[0], n=1)
    auth.login("desk")
    assert issue(client, auth, [a], last4="5555").status_code == 303
    assert chain_intact(app)
    (event,) = issue_events(app, a)
    with app.app_context():
        db.session.execute(
            sa.update(KeyEvent).where(KeyEvent.id == event.id).values(id_last4="5556")
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["keys", "verify-chain"])
    assert result.exit_code == 1 and event.id in result.output
    # A longer value: the CHECK (SQLite) or varchar(4) itself (PostgreSQL); a shorter: the CHECK.
    for value, refusal in (
        ("A1234567", (sa.exc.IntegrityError, sa.exc.DataError)),
        ("123", sa.exc.IntegrityError),
    ):
        with app.app_context():
            with pytest.raises(refusal):
                db.session.execute(
                    sa.update(KeyEvent).where(KeyEvent.id == event.id).values(id_last4=value)
                )
                db.session.flush()
            db.session.rollback()


def test_the_english_page_says_it_in_english(app, client, auth, seed):
    """Does the form read in English for an English reader (the document types too)?"""
    auth.login("desk")
    client.post("/language", data={"locale": "en", "next": "/", "csrf_token": auth.csrf("/")})
    page = client.get("/keys/owner/").get_data(as_text=True)
    for words in ("Issue owner keys", "Identity document checked", "Hong Kong identity card",
                  "Last 4 characters of its number", "Owner's signature"):  # fmt: skip
        assert words in page, words
    assert "香港身份證" not in page
