"""What every benchmark shares: the row shape, timing, and a throwaway app with a database."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Row:
    """One line of the table: a measurement, its baseline from the same run, and the target."""

    name: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of ``repeat`` runs of ``fn``, in seconds (least disturbed by a noisy host)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def fresh_statistics() -> None:
    """Fresh planner statistics after a bulk write (and, on PostgreSQL, the visibility map
    index-only scans need), as autovacuum or a periodic ANALYZE (SQLite) keep them."""
    import sqlalchemy as sa

    from webapp.extensions import db

    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


@contextlib.contextmanager
def bench_app(**config) -> Iterator:
    """A fresh app on a throwaway, migrated SQLite database (or BENCH_DATABASE_URL)."""
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "INSTANCE_PATH": tmp,
            "BLOB_DIR": str(Path(tmp) / "blobs"),
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
        settings.update(config)
        app = create_app(settings)
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()
