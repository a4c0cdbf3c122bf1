"""Label sheets drawn in the background, with progress a page can poll.

A job is a folder under ``instance/label-jobs/<id>/``: ``job.json`` (state and progress),
``input.json`` (the plain label data, template and skip), ``preview.png`` (the first sheet,
written first) and ``labels.pdf`` (renamed into place when complete). Files rather than
memory, so any worker process can answer the polling — and a job whose process died (a
restart, a deploy) is picked up again by the next poll that finds its heartbeat stale.
The database work (choosing items, minting codes) is done in the request; the thread
only draws, from plain label data.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from webapp.labels import sheets

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
KEEP_SECONDS = 24 * 3600
# A running job writes job.json after every page; one silent this long lost its process
# and is drawn again from input.json by whichever process is polled next.
ORPHAN_SECONDS = 60
# A job that could not be resumed (its input is gone) stops looking busy after this long.
STALE_SECONDS = 15 * 60
_threads: dict[str, threading.Thread] = {}


@dataclass
class Job:
    """What a page needs to show a job: whose it is, how far it got, where its files are."""

    id: str
    user_id: int
    estate_id: int
    title: str
    template: str
    labels: int
    pages_total: int
    pages_done: int = 0
    state: str = "running"  # running, done, failed
    message: str = ""
    preview: bool = False
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    @property
    def running(self) -> bool:
        return self.state == "running" and time.time() - self.updated < STALE_SECONDS

    @property
    def failed(self) -> bool:
        return self.state == "failed" or (self.state == "running" and not self.running)

    @property
    def percent(self) -> int:
        return round(100 * self.pages_done / self.pages_total) if self.pages_total else 0


def _root(instance_path: str) -> Path:
    return Path(instance_path) / "label-jobs"


def job_dir(instance_path: str, job_id: str) -> Path:
    """The folder of a job (the id is checked to be one of ours first)."""
    if not JOB_ID.match(job_id):
        raise ValueError("not a job id")
    return _root(instance_path) / job_id


def _save(folder: Path, job: Job) -> None:
    job.updated = time.time()
    tmp = folder / "job.json.tmp"
    tmp.write_text(json.dumps(asdict(job)), encoding="utf-8")
    os.replace(tmp, folder / "job.json")


def load(instance_path: str, job_id: str) -> Job | None:
    """The job with this id, or None."""
    try:
        path = job_dir(instance_path, job_id) / "job.json"
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return None
    return Job(**data)


def _clean_old(instance_path: str) -> None:
    root = _root(instance_path)
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def start(
    instance_path: str,
    labels: list[sheets.LabelData],
    template: sheets.Template,
    *,
    skip: int,
    user_id: int,
    estate_id: int,
    title: str,
) -> Job:
    """Plan the pages (refusing bad input at once) and draw them in a background thread."""
    pages = sheets.plan_pages(labels, template, skip)
    _clean_old(instance_path)
    job = Job(
        id=secrets.token_hex(16),
        user_id=user_id,
        estate_id=estate_id,
        title=title,
        template=template.name,
        labels=len(labels),
        pages_total=len(pages),
    )
    folder = job_dir(instance_path, job.id)
    folder.mkdir(parents=True)
    (folder / "input.json").write_text(
        json.dumps({"labels": [asdict(x) for x in labels], "skip": skip}), encoding="utf-8"
    )
    _save(folder, job)
    _launch(folder, job, labels, template, skip)
    return job


def _launch(folder: Path, job: Job, labels, template: sheets.Template, skip: int) -> None:
    thread = threading.Thread(
        target=_run, args=(folder, job, labels, template, skip), name=f"labels-{job.id[:8]}"
    )
    thread.daemon = True
    _threads[job.id] = thread
    thread.start()


def resume_if_orphaned(instance_path: str, job: Job) -> bool:
    """Draw again a running job whose process died; True when this call restarted it.

    The claim is a file named after the stale heartbeat, created exclusively: of several
    processes polled at once, one resumes the job.
    """
    if job.state != "running" or job.id in _threads:
        return False
    if time.time() - job.updated < ORPHAN_SECONDS:
        return False
    folder = job_dir(instance_path, job.id)
    try:
        fd = os.open(folder / f"claim-{job.updated:.6f}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.close(fd)
        data = json.loads((folder / "input.json").read_text(encoding="utf-8"))
        labels = [sheets.LabelData(**x) for x in data["labels"]]
        template = sheets.get_template(job.template)
    except (OSError, ValueError, TypeError, KeyError, sheets.LabelError):
        return False
    log.warning(
        "label job %s lost its process at page %d: drawing it again", job.id, job.pages_done
    )
    job.pages_done = 0
    job.preview = (folder / "preview.png").exists()
    _save(folder, job)
    _launch(folder, job, labels, template, data["skip"])
    return True


def _run(folder: Path, job: Job, labels, template: sheets.Template, skip: int) -> None:
    try:
        first = sheets.plan_pages(labels, template, skip)[0]
        page, _boxes = sheets.render_page(first, template)
        page.save(folder / "preview.png", "PNG", dpi=(sheets.DPI, sheets.DPI))
        job.preview = True
        _save(folder, job)

        def progress(done: int, total: int) -> None:
            job.pages_done = done
            _save(folder, job)

        part = folder / "labels.pdf.part"
        sheets.write_pdf(labels, template, part, skip=skip, progress=progress)
        os.replace(part, folder / "labels.pdf")
        job.state = "done"
    except Exception as exc:  # the page shows it; the log keeps the traceback
        log.exception("label job %s failed", job.id)
        job.state = "failed"
        job.message = str(exc) if isinstance(exc, sheets.LabelError) else type(exc).__name__
    finally:
        _save(folder, job)
        _threads.pop(job.id, None)


def wait(job_id: str, timeout: float | None = None) -> None:
    """Block until a job's thread ends (for tests and the command line)."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
