"""The labels page: sheets with progress, preview and PDF; one label; clear refusals; scoping."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.webapp.labels.support import pdf_pages, read_qr_texts
from webapp.extensions import db
from webapp.jobs import engine
from webapp.labels import jobs
from webapp.models import Building, Estate, LabelCode, Unit, User
from webapp.models.jobs import Job

PRINTED = "HTTP://127.0.0.1:5000/Q/"  # what the QR carries: upper case, alphanumeric mode
JOB_URL = re.compile(r"/labels/jobs/([0-9a-f]{32})$")


def _start(client, auth, path, data):
    token = auth.csrf("/labels")
    response = client.post(path, data={**data, "csrf_token": token})
    return response


def _job_id(app, response) -> str:
    """The sheet's job id, once the engine has run what was queued (the worker's part)."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = JOB_URL.search(response.headers["Location"])
    assert match
    engine.get(app).work()
    return match.group(1)


def test_only_supervisors_and_admins_get_the_labels_page(client, auth, seed):
    """Is the page there for supervisors and admins and refused to a patroller?"""
    auth.login("patrol")
    assert client.get("/labels").status_code == 403
    auth.logout()
    auth.login("supervisor")
    page = client.get("/labels").get_data(as_text=True)
    assert "列印整張標籤" in page and "翠湖花園" in page and "港灣豪庭" not in page


def test_a_building_sheet_previews_and_downloads_with_every_code(app, client, auth, seed):
    """Does a sheet for one building give a preview PNG and a PDF whose QRs are its units?"""
    auth.login("supervisor")
    with app.app_context():
        building = db.session.scalar(
            sa.select(Building).where(Building.estate_id == seed.estate_ids[0])
        )
        units = db.session.scalars(sa.select(Unit.id).where(Unit.building_id == building.id)).all()
        urls = sorted(
            f"{PRINTED}{c}"
            for c in db.session.scalars(
                sa.select(LabelCode.code).where(
                    LabelCode.item_type == "unit", LabelCode.item_id.in_(units), LabelCode.active
                )
            )
        )
    response = _start(
        client, auth, "/labels",
        {"estate": seed.estate_ids[0], "kind": "unit", "building": building.id, "skip": "2"},
    )  # fmt: skip
    job_id = _job_id(app, response)
    page = client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)
    assert "下載 PDF" in page and f"/labels/jobs/{job_id}/preview.png" in page
    assert "hx-trigger" not in page  # finished: no more polling
    preview = client.get(f"/labels/jobs/{job_id}/preview.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    pdf = client.get(f"/labels/jobs/{job_id}/labels.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    read = sorted(t for p in pdf_pages(pdf.get_data()) for t in read_qr_texts(p))
    assert read == urls


def test_a_running_job_polls_itself_as_a_fragment(app, client, auth, seed):
    """While a sheet is drawn, does the htmx request get just the component, polling itself?"""
    auth.login("supervisor")
    with app.app_context():
        job = Job(
            id="a" * 32, kind=jobs.KIND, state="running", attempts=1, max_attempts=3,
            user_id=seed.user_ids["supervisor"], estate_id=seed.estate_ids[0], title="t",
            params={"labels": [{}] * 240, "template": "address-24", "skip": 0},
            progress_total=10, progress_done=3,
        )  # fmt: skip
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    response = client.get(f"/labels/jobs/{job_id}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'hx-trigger="every 1s"' in body and 'value="3"' in body and 'max="10"' in body
    assert "HX-Request" in response.headers.get("Vary", "")
    assert client.get(f"/labels/jobs/{job_id}/labels.pdf").status_code == 404


def test_a_sheet_waits_in_the_queue_until_a_worker_draws_it(app, client, auth, seed):
    """Through the engine end to end: is a new sheet shown as waiting (0 of N pages, no PDF)
    until a worker runs the queue, then as done with its preview and PDF?"""
    auth.login("supervisor")
    response = _start(client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "key"})
    assert response.status_code == 303
    job_id = JOB_URL.search(response.headers["Location"]).group(1)
    page = client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)
    assert "hx-trigger" in page and 'value="0"' in page
    assert client.get(f"/labels/jobs/{job_id}/labels.pdf").status_code == 404
    assert engine.get(app).work() == 1
    page = client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)
    assert "下載 PDF" in page and "hx-trigger" not in page
    pdf = client.get(f"/labels/jobs/{job_id}/labels.pdf")
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert (job.state, job.attempts) == ("done", 1)
        stored = engine.get(app).blobs.get(job.result["files"]["labels.pdf"])
    assert stored == pdf.get_data()  # kept in the blob store, like photos


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"estate": "999", "kind": "unit"}, "請選擇您負責的小區。"),
        ({"estate": "2", "kind": "unit"}, "請選擇您負責的小區。"),
        ({"estate": "1", "kind": "door"}, "請選擇房屋、鑰匙或標識。"),
        ({"estate": "1", "kind": "unit", "template": "tiny"}, "沒有這種標籤紙"),
        ({"estate": "1", "kind": "unit", "skip": "-1"}, "可跳過 0 至 23 個位置"),
        ({"estate": "1", "kind": "key", "skip": "40"}, "可跳過 0 至 39 個位置"),
        ({"estate": "1", "kind": "unit", "skip": "two"}, "請填寫已用位置的整數。"),
        ({"estate": "1", "kind": "unit", "floor": "x"}, "樓層須為整數。"),
        ({"estate": "1", "kind": "unit", "floor": "99"}, "沒有可列印的項目"),
        ({"estate": "1", "kind": "unit", "building": "abc"}, "這棟樓不在所選的小區內。"),
    ],
)
def test_bad_sheet_input_is_a_form_with_a_message(client, auth, seed, data, message):
    """Is each kind of bad input answered 422 with its message on the form, never a 500?"""
    auth.login("supervisor")
    response = _start(client, auth, "/labels", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_another_estates_building_is_refused(app, client, auth, seed):
    """Is a building of an estate the user cannot see refused like a wrong building?"""
    with app.app_context():
        foreign = db.session.scalar(
            sa.select(Building.id).where(Building.estate_id == seed.estate_ids[1])
        )
    auth.login("supervisor")
    response = _start(
        client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "unit", "building": foreign}
    )
    assert response.status_code == 422 and "這棟樓不在所選的小區內。" in response.get_data(
        as_text=True
    )


def test_one_label_by_short_code_and_reprint_from_the_page(app, client, auth, seed):
    """Does the one-label form print by short code, and reprint retire and replace the code?"""
    with app.app_context():
        code = db.session.scalars(
            sa.select(LabelCode).where(
                LabelCode.item_type == "key", LabelCode.estate_id == seed.estate_ids[0]
            )
        ).first()
        long_code, short = code.code, code.short_code
    auth.login("admin")
    typed = f"{short[:4].lower()}-{short[4:]}"
    job_id = _job_id(app, _start(client, auth, "/labels/one", {"code": typed, "action": "print"}))
    pdf = client.get(f"/labels/jobs/{job_id}/labels.pdf").get_data()
    assert [read_qr_texts(p) for p in pdf_pages(pdf)] == [[f"{PRINTED}{long_code}"]]

    job_id = _job_id(
        app,
        _start(
            client, auth, "/labels/one", {"code": long_code, "action": "reprint", "reason": "torn"}
        ),
    )
    with app.app_context():
        old = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == long_code))
        assert not old.active and old.retired_reason == "torn"
        new = db.session.get(LabelCode, old.replaced_by_id)
    pdf = client.get(f"/labels/jobs/{job_id}/labels.pdf").get_data()
    assert [read_qr_texts(p) for p in pdf_pages(pdf)] == [[f"{PRINTED}{new.code}"]]
    again = _start(client, auth, "/labels/one", {"code": long_code, "action": "reprint"})
    assert again.status_code == 422 and "這個代碼已被取代" in again.get_data(as_text=True)


def test_a_code_with_more_after_it_names_no_label(app, client, auth, seed):
    """Is a code of the column's full 32 characters typed with more after it no label — not
    read as its first 32 characters, which found the label?"""
    with app.app_context():
        label = db.session.scalar(
            sa.select(LabelCode).where(LabelCode.estate_id == seed.estate_ids[0])
        )
        label.code = "A" * 16 + label.code  # a long code may grow to the column's 32
        full = label.code
        db.session.commit()
    auth.login("supervisor")
    assert len(full) == 32
    response = _start(client, auth, "/labels/one", {"code": full + "X", "action": "print"})
    assert response.status_code == 422
    assert "您負責的小區中沒有這個代碼的標籤。" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "ZZZZ-ZZZZ"}, "您負責的小區中沒有這個代碼的標籤。"),
        ({"code": ""}, "您負責的小區中沒有這個代碼的標籤。"),
        ({"code": "棟" * 40}, "您負責的小區中沒有這個代碼的標籤。"),
        ({"code": "FOREIGN"}, "您負責的小區中沒有這個代碼的標籤。"),
        ({"code": "MINE", "action": "burn"}, "請選擇列印或重印。"),
        ({"code": "MINE", "skip": "-4"}, "可跳過 0 至"),
    ],
)
def test_bad_one_label_input_is_a_form_with_a_message(app, client, auth, seed, data, message):
    """Are unknown, foreign and malformed codes and bad choices refused with a message?"""
    with app.app_context():
        codes = {
            "FOREIGN": db.session.scalar(
                sa.select(LabelCode.code).where(LabelCode.estate_id == seed.estate_ids[1])
            ),
            "MINE": db.session.scalar(
                sa.select(LabelCode.code).where(LabelCode.estate_id == seed.estate_ids[0])
            ),
        }
    data = {k: codes.get(v, v) for k, v in data.items()}
    auth.login("supervisor")
    response = _start(client, auth, "/labels/one", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_job_of_another_estate_is_404(app, client, auth, seed):
    """Does a supervisor of another estate get 404 for a sheet's page, preview and PDF?"""
    auth.login("supervisor")
    job_id = _job_id(
        app, _start(client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "sign"})
    )
    auth.logout()
    with app.app_context():
        other = User(username="super2", role="supervisor")
        other.set_password("super2-pass")
        other.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(other)
        db.session.commit()
    auth.login("super2", "super2-pass")
    for suffix in ("", "/preview.png", "/labels.pdf"):
        assert client.get(f"/labels/jobs/{job_id}{suffix}").status_code == 404
    assert client.get("/labels/jobs/not-a-job").status_code == 404


def _die_mid_sheet(app, job_id: str) -> None:
    """Play a worker that took the sheet's message, drew a page, and was killed (a deploy)."""
    from datetime import timedelta

    found = engine.get(app)
    assert found.huey.dequeue() is not None  # the dead worker had taken the message
    with app.app_context():
        now = found.clock()
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(
                state="running",
                attempts=1,
                progress_done=1,
                lease_until=now + timedelta(seconds=60),
            )
        )
        db.session.commit()


def test_a_sheet_whose_worker_died_is_drawn_again_once(app, client, auth, seed):
    """After a worker dies mid-sheet, does the page keep showing progress, and does the engine
    (not a poll) draw the whole sheet again once its lease runs out — once, however many
    consumers look?"""
    from datetime import timedelta

    auth.login("supervisor")
    expected_response = _start(
        client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "sign"}
    )
    first = _job_id(app, expected_response)
    expected = sorted(
        t
        for p in pdf_pages(client.get(f"/labels/jobs/{first}/labels.pdf").get_data())
        for t in read_qr_texts(p)
    )
    response = _start(client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "sign"})
    job_id = JOB_URL.search(response.headers["Location"]).group(1)
    _die_mid_sheet(app, job_id)
    found = engine.get(app)

    def state():
        with app.app_context():
            job = db.session.get(Job, job_id)
            return job.state, job.attempts

    found.tick()  # the lease still runs: nobody takes it over
    found.work()
    assert state() == ("running", 1)
    assert "hx-trigger" in client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)

    later = found.clock() + timedelta(seconds=61)
    found.clock = lambda: later
    found.tick()
    found.tick()  # a second consumer's tick finds nothing more to recover
    found.work()
    assert state() == ("done", 2)  # drawn again, once
    page = client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)
    assert "下載 PDF" in page
    again = client.get(f"/labels/jobs/{job_id}/labels.pdf")
    assert again.status_code == 200
    assert sorted(t for p in pdf_pages(again.get_data()) for t in read_qr_texts(p)) == expected


def test_a_reprints_reason_over_200_is_refused_and_the_code_kept(app, client, auth, seed):
    """Was cut to 200 and stored: is a reprint's reason of 201 characters refused beside the
    field (422, the text shown back), the code left active and nothing minted?"""
    with app.app_context():
        code = db.session.scalars(
            sa.select(LabelCode).where(LabelCode.estate_id == seed.estate_ids[0])
        ).first()
        long_code = code.code
    auth.login("admin")
    reason = "標" * 200 + "尾"
    response = _start(
        client, auth, "/labels/one", {"code": long_code, "action": "reprint", "reason": reason}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "最多 200 個字元" in page and reason in page
    with app.app_context():
        old = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == long_code))
        assert old.active and old.retired_reason is None
