"""A real job worker for the tests, in its own process: ``flask jobs worker``'s consumer on
the test's database and queue, with the test kinds (and no schedule but the test's).

    python -m tests.webapp.jobs.worker_main DATABASE_URL INSTANCE_DIR QUEUE_URL QUEUE_NAME
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import make_test_app
from tests.webapp.jobs import kinds
from webapp.jobs import engine


def main() -> None:
    database_url, instance_dir, queue_url, queue_name = sys.argv[1:5]
    app = make_test_app(
        database_url, Path(instance_dir), JOBS_QUEUE_URL=queue_url, JOBS_QUEUE_NAME=queue_name
    )
    engine.KINDS.update(kinds.KINDS)
    engine.SCHEDULES.clear()
    engine.get(app).consumer(threads=1).run()


if __name__ == "__main__":
    main()
