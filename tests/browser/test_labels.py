"""The labels page in real Chromium: a sheet's progress polls itself into preview and download."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(desk_page):
    """The shared desktop page (any console error fails the test), given the time a sheet of
    labels takes to draw."""
    desk_page.set_default_timeout(30_000)
    return desk_page


def test_a_sheet_shows_progress_then_preview_and_download(desk):
    """Does the job page, without a reload, turn into the preview and the PDF download?"""
    page = desk
    log_in(page, "supervisor")
    page.goto("/labels")
    page.select_option("#kind", "key")
    page.click("form[action$='/labels'] button[type=submit]")
    page.wait_for_url("**/labels/jobs/*")
    url = page.url
    download = page.locator("#label-job a[href$='labels.pdf']")
    download.wait_for()
    assert page.url == url  # swapped in place by htmx (or already done), not navigated
    preview = page.locator("#label-job img")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 2480", arg=preview.element_handle()
    )
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".pdf")


def test_a_running_job_polls_until_it_is_done(desk, live_server):
    """While a job runs, does its page show progress and swap to the download when it ends?"""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.jobs import engine
    from webapp.labels import jobs
    from webapp.models import Estate, User
    from webapp.models.jobs import Job

    app = live_server.app
    job_id = "b" * 32

    def update(**values):
        with app.app_context():
            db.session.execute(sa.update(Job).where(Job.id == job_id).values(**values))
            db.session.commit()

    with app.app_context():
        estate_id = db.session.scalar(sa.select(Estate.id).order_by(Estate.id))
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "supervisor"))
        # A sheet a worker is drawing (written as the worker would, no worker involved).
        db.session.add(
            Job(
                id=job_id, kind=jobs.KIND, state="running", attempts=1, max_attempts=3,
                user_id=user_id, estate_id=estate_id, title="翠湖花園 測試",
                params={"labels": [{}] * 200, "template": "address-24", "skip": 0},
                progress_total=9, progress_done=2,
            )
        )  # fmt: skip
        db.session.commit()

    page = desk
    log_in(page, "supervisor")
    page.goto(f"/labels/jobs/{job_id}")
    assert page.locator("#label-job progress").get_attribute("value") == "2"
    update(progress_done=5)
    page.wait_for_function(
        "() => document.querySelector('#label-job progress')?.getAttribute('value') === '5'"
    )
    key = f"jobs/{job_id}/labels.pdf"
    engine.get(app).blobs.put(key, b"%PDF-1.4\n")
    update(state="done", progress_done=9, result={"files": {"labels.pdf": key}})
    page.locator("#label-job a[href$='labels.pdf']").wait_for()
    assert page.url.endswith(f"/labels/jobs/{job_id}")
    assert page.locator("#label-job progress").count() == 0
