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
    from webapp.labels import jobs
    from webapp.models import Estate, User

    app = live_server.app
    with app.app_context():
        estate_id = db.session.scalar(sa.select(Estate.id).order_by(Estate.id))
        user_id = db.session.scalar(sa.select(User.id).where(User.username == "supervisor"))
    job = jobs.Job(
        id="b" * 32, user_id=user_id, estate_id=estate_id, title="翠湖花園 測試",
        template="address-24", labels=200, pages_total=9, pages_done=2,
    )  # fmt: skip
    folder = jobs.job_dir(app.instance_path, job.id)
    folder.mkdir(parents=True, exist_ok=True)
    jobs._save(folder, job)

    page = desk
    log_in(page, "supervisor")
    page.goto(f"/labels/jobs/{job.id}")
    assert page.locator("#label-job progress").get_attribute("value") == "2"
    job.pages_done = 5
    jobs._save(folder, job)
    page.wait_for_function(
        "() => document.querySelector('#label-job progress')?.getAttribute('value') === '5'"
    )
    (folder / "labels.pdf").write_bytes(b"%PDF-1.4\n")
    job.state, job.pages_done = "done", 9
    jobs._save(folder, job)
    page.locator("#label-job a[href$='labels.pdf']").wait_for()
    assert page.url.endswith(f"/labels/jobs/{job.id}")
    assert page.locator("#label-job progress").count() == 0
