"""Job kinds for the engine's tests (registered by the tests' fixtures and by worker_main)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from huey import crontab

from webapp.jobs import engine

RUNS: list[tuple[str, int, datetime]] = []  # (kind or key, attempt, ctx.now()) in this process


def record(ctx):
    """Note the run; succeed."""
    RUNS.append((ctx.job.kind, ctx.attempt, ctx.now()))
    return {"ran": ctx.attempt}


def flaky(ctx):
    """Fail until the attempt named by ``succeed_on``; ``give_up`` fails for good."""
    RUNS.append((ctx.job.kind, ctx.attempt, ctx.now()))
    if ctx.params.get("give_up"):
        raise engine.Failed("這張表不會變好：Nothing to retry.")
    if ctx.attempt < ctx.params.get("succeed_on", 10**6):
        raise RuntimeError(f"try {ctx.attempt} fails")
    return {"ran": ctx.attempt}


def blocking(ctx):
    """The first try marks that it started, then hangs until its worker is killed; a later
    try marks itself, stores an output and appends the job id to ``done`` (run counter)."""
    folder = Path(ctx.params["dir"])
    (folder / f"started-{ctx.attempt}").write_text(str(ctx.attempt))
    if ctx.attempt == 1:
        while True:
            time.sleep(0.05)
    ctx.put("out.txt", b"finished")
    with (folder / "done").open("a") as fh:
        fh.write(ctx.id + "\n")
    return {"ran": ctx.attempt}


def nightly(ctx):
    RUNS.append((ctx.job.key, ctx.attempt, ctx.now()))


KINDS = {
    "test.record": engine.Kind("test.record", record),
    "test.flaky": engine.Kind("test.flaky", flaky, retries=2, retry_delay=10),
    "test.blocking": engine.Kind("test.blocking", blocking, retries=2),
    "test.nightly": engine.Kind("test.nightly", nightly),
}
SCHEDULES = {"test.nightly": engine.Schedule("test.nightly", crontab(minute="0", hour="3"))}
