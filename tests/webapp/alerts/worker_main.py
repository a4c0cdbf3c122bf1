"""A real job worker for the alerts' tests, in its own process: ``flask jobs worker``'s
consumer on the test's database and queue, emailing through the test's SMTP server (and no
schedule, so it runs only what the test queues).

    python -m tests.webapp.alerts.worker_main DATABASE_URL INSTANCE_DIR QUEUE_URL QUEUE_NAME \
        SMTP_PORT
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import make_test_app
from webapp.jobs import engine


def main() -> None:
    database_url, instance_dir, queue_url, queue_name, smtp_port = sys.argv[1:6]
    app = make_test_app(
        database_url,
        Path(instance_dir),
        JOBS_QUEUE_URL=queue_url,
        JOBS_QUEUE_NAME=queue_name,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=int(smtp_port),
        SMTP_FROM="rounds@example.test",
        SMTP_STARTTLS=False,
    )
    engine.SCHEDULES.clear()
    engine.get(app).consumer(threads=1).run()


if __name__ == "__main__":
    main()
