"""Foundation rows: a logged-in page render against the bare health check, and demo seeding."""

from __future__ import annotations

import time

from bench.common import Row, bench_app, best_of
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db


def rows() -> list[Row]:
    out = []
    with bench_app() as app:
        started = time.perf_counter()
        build_demo(db.session, DemoOptions(estates=2, units_per_estate=200))
        db.session.commit()
        seed_s = time.perf_counter() - started
        out.append(
            Row("demo-data, 2 estates x 200 units", seed_s, "s", target="< 10 s", met=seed_s < 10)
        )

        client = app.test_client()
        client.get("/login")
        from tests.conftest import csrf_token_from

        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login",
            data={"username": "supervisor", "password": "supervisor-demo", "csrf_token": token},
        )
        n = 50
        health = best_of(lambda: [client.get("/healthz") for _ in range(n)], 3) / n
        home = best_of(lambda: [client.get("/") for _ in range(n)], 3) / n
        out.append(
            Row(
                "GET / (supervisor home, 400 units)",
                home * 1000,
                "ms",
                "GET /healthz",
                health * 1000,
                target="< 50 ms",
                met=home < 0.05,
            )
        )
    return out
