"""Label sheets drawn by the job engine (webapp/jobs), with progress a page can poll.

The request chooses the items and mints their codes, then submits a ``labels.sheet`` job
holding the plain label data, the template and the skip; a worker draws the first sheet as
a PNG preview (stored at once, so it shows while the rest is drawn), then the PDF, recording
each page as it goes. Both files go to the blob store (``jobs/<id>/preview.png``,
``jobs/<id>/labels.pdf``). A worker that dies mid-sheet leaves the job to the engine, which
draws it again from the start on another worker; a sheet is kept for a day or two.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from webapp.jobs import engine
from webapp.labels import sheets
from webapp.models.jobs import Job

KIND = "labels.sheet"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class SheetJob:
    """What a page needs to show a sheet: whose it is, how far it got, which files it has."""

    id: str
    user_id: int | None
    estate_id: int | None
    title: str
    template: str
    labels: int
    pages_total: int
    pages_done: int
    state: str
    message: str
    files: dict[str, str]

    @property
    def running(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def preview(self) -> bool:
        return "preview.png" in self.files

    @property
    def percent(self) -> int:
        return round(100 * self.pages_done / self.pages_total) if self.pages_total else 0


def start(
    session: Session,
    labels: list[sheets.LabelData],
    template: sheets.Template,
    *,
    skip: int,
    user_id: int,
    estate_id: int,
    title: str,
) -> Job:
    """Plan the pages (refusing bad input at once) and submit the sheet; the caller commits."""
    pages = sheets.plan_pages(labels, template, skip)
    params = {"labels": [asdict(x) for x in labels], "template": template.name, "skip": skip}
    return engine.submit(
        session,
        KIND,
        params,
        title=title,
        user_id=user_id,
        estate_id=estate_id,
        total=len(pages),
    )


def load(session: Session, job_id: str) -> SheetJob | None:
    """The sheet job with this id, or None."""
    if not JOB_ID.match(job_id):
        return None
    job = session.get(Job, job_id)
    if job is None or job.kind != KIND:
        return None
    return SheetJob(
        id=job.id,
        user_id=job.user_id,
        estate_id=job.estate_id,
        title=job.title,
        template=job.params.get("template", ""),
        labels=len(job.params.get("labels", ())),
        pages_total=job.progress_total,
        pages_done=job.progress_total if job.state == "done" else job.progress_done,
        state=job.state,
        message=job.message,
        files=dict((job.result or {}).get("files", {})),
    )


def output(job: SheetJob, name: str) -> bytes | None:
    """A file the sheet made (``preview.png``, ``labels.pdf``), or None."""
    key = job.files.get(name)
    return engine.get().blobs.get(key) if key else None


@engine.task(KIND, retries=2, retry_delay=10, keep=timedelta(days=1))
def draw(ctx: engine.Context) -> dict:
    """Draw the preview, then the PDF page by page; a label error fails the job with its text."""
    labels = [sheets.LabelData(**x) for x in ctx.params["labels"]]
    skip = ctx.params["skip"]
    try:
        template = sheets.get_template(ctx.params["template"])
        first = sheets.plan_pages(labels, template, skip)[0]
        page, _boxes = sheets.render_page(first, template)
        preview = io.BytesIO()
        page.save(preview, "PNG", dpi=(sheets.DPI, sheets.DPI))
        ctx.put("preview.png", preview.getvalue())
        pdf = io.BytesIO()
        pages = sheets.write_pdf(labels, template, pdf, skip=skip, progress=ctx.progress)
    except sheets.LabelError as exc:
        raise engine.Failed(str(exc)) from exc
    ctx.put("labels.pdf", pdf.getvalue())
    return {"pages": pages}
