"""The labels page: sheets with progress, preview and PDF; one label; clear refusals; scoping."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.webapp.labels.support import pdf_pages, read_qr_texts
from webapp.extensions import db
from webapp.labels import jobs
from webapp.models import Building, Estate, LabelCode, Unit, User

PRINTED = "HTTP://127.0.0.1:5000/Q/"  # what the QR carries: upper case, alphanumeric mode
JOB_URL = re.compile(r"/labels/jobs/([0-9a-f]{32})$")


def _start(client, auth, path, data):
    token = auth.csrf("/labels")
    response = client.post(path, data={**data, "csrf_token": token})
    return response


def _job_id(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = JOB_URL.search(response.headers["Location"])
    assert match
    jobs.wait(match.group(1))
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
    job_id = _job_id(response)
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
        job = jobs.Job(
            id="a" * 32, user_id=seed.user_ids["supervisor"], estate_id=seed.estate_ids[0],
            title="t", template="address-24", labels=240, pages_total=10, pages_done=3,
        )  # fmt: skip
        folder = jobs.job_dir(app.instance_path, job.id)
        folder.mkdir(parents=True, exist_ok=True)
        jobs._save(folder, job)
    response = client.get(f"/labels/jobs/{job.id}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'hx-trigger="every 1s"' in body and 'value="3"' in body and 'max="10"' in body
    assert "HX-Request" in response.headers.get("Vary", "")
    assert client.get(f"/labels/jobs/{job.id}/labels.pdf").status_code == 404


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
    job_id = _job_id(_start(client, auth, "/labels/one", {"code": typed, "action": "print"}))
    pdf = client.get(f"/labels/jobs/{job_id}/labels.pdf").get_data()
    assert [read_qr_texts(p) for p in pdf_pages(pdf)] == [[f"{PRINTED}{long_code}"]]

    job_id = _job_id(
        _start(
            client, auth, "/labels/one", {"code": long_code, "action": "reprint", "reason": "torn"}
        )
    )
    with app.app_context():
        old = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == long_code))
        assert not old.active and old.retired_reason == "torn"
        new = db.session.get(LabelCode, old.replaced_by_id)
    pdf = client.get(f"/labels/jobs/{job_id}/labels.pdf").get_data()
    assert [read_qr_texts(p) for p in pdf_pages(pdf)] == [[f"{PRINTED}{new.code}"]]
    again = _start(client, auth, "/labels/one", {"code": long_code, "action": "reprint"})
    assert again.status_code == 422 and "這個代碼已被取代" in again.get_data(as_text=True)


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
        _start(client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "sign"})
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


def _orphan(app, job_id: str) -> None:
    """Make a finished job look like one whose process died half-way (a restart, a deploy)."""
    folder = jobs.job_dir(app.instance_path, job_id)
    job = jobs.load(app.instance_path, job_id)
    job.state, job.pages_done = "running", 1
    jobs._save(folder, job)
    job.updated -= jobs.ORPHAN_SECONDS + 5
    (folder / "job.json").write_text(__import__("json").dumps(jobs.asdict(job)), encoding="utf-8")
    (folder / "labels.pdf").unlink()


def test_a_job_whose_process_died_is_drawn_again_by_the_next_poll(app, client, auth, seed):
    """After a restart mid-sheet, does the next poll draw the whole sheet again, only once?"""
    auth.login("supervisor")
    response = _start(client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "sign"})
    job_id = _job_id(response)
    first = client.get(f"/labels/jobs/{job_id}/labels.pdf").get_data()
    expected = sorted(t for p in pdf_pages(first) for t in read_qr_texts(p))
    _orphan(app, job_id)
    assert not (jobs.job_dir(app.instance_path, job_id) / "labels.pdf").exists()

    # Two processes polled at once: the claim lets exactly one of them resume it.
    one, two = jobs.load(app.instance_path, job_id), jobs.load(app.instance_path, job_id)
    assert jobs.resume_if_orphaned(app.instance_path, one) is True
    thread = jobs._threads.pop(job_id, None)  # as seen from another process
    assert jobs.resume_if_orphaned(app.instance_path, two) is False
    if thread is not None:
        thread.join()
    page = client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)
    assert "下載 PDF" in page
    again = client.get(f"/labels/jobs/{job_id}/labels.pdf")
    assert again.status_code == 200
    assert sorted(t for p in pdf_pages(again.get_data()) for t in read_qr_texts(p)) == expected


def test_a_stale_job_is_resumed_by_polling_its_page(app, client, auth, seed):
    """Does simply opening the job's page after a restart bring the sheet back?"""
    auth.login("supervisor")
    job_id = _job_id(_start(client, auth, "/labels", {"estate": seed.estate_ids[0], "kind": "key"}))
    _orphan(app, job_id)
    assert "hx-trigger" in client.get(f"/labels/jobs/{job_id}").get_data(as_text=True)
    jobs.wait(job_id)
    assert client.get(f"/labels/jobs/{job_id}/labels.pdf").status_code == 200
