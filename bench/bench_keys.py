"""Key register rows: the register page and its export on a 2,000-unit estate, and the chain
check over a few thousand key events."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.common import Row, bench_app, best_of
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db


def _events(n_keys: int, per_key: int) -> None:
    from sync.merge import Actor, push
    from webapp.models import Key, LabelCode, User

    user = db.session.scalar(sa.select(User).where(User.username == "desk"))
    codes = db.session.scalars(
        sa.select(LabelCode.code)
        .join(Key, Key.id == LabelCode.item_id)
        .where(LabelCode.item_type == "key", LabelCode.active, Key.status == "in")
        .where(LabelCode.estate_id.in_(user.estate_ids))
        .limit(n_keys)
    ).all()
    t0 = datetime.now(UTC) - timedelta(days=30)
    ops = []
    for code in codes:
        for i in range(per_key):
            at = t0 + timedelta(hours=i)
            kind = "key.lend" if i % 2 == 0 else "key.return"
            payload = {"id": str(uuid.uuid4()), "code": code}
            if kind == "key.lend":
                payload |= {
                    "borrower_name": "陳師傅",
                    "borrower_type": "contractor",
                    "purpose": "維修",
                }
            ops.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "type": kind,
                    "occurred_at": at.isoformat(),
                    "payload": payload,
                }
            )
    actor = Actor(user_id=user.id, estate_ids=user.estate_ids)
    for start in range(0, len(ops), 500):
        push(db.session, actor, ops[start : start + 500], datetime.now(UTC))
    db.session.commit()


def rows() -> list[Row]:
    out = []
    with bench_app() as app:
        build_demo(db.session, DemoOptions(estates=1, units_per_estate=2000, days=3))
        db.session.commit()
        _events(500, 6)
        from webapp.keys.chain import breaks

        chain_s = best_of(lambda: list(breaks(db.session)), 3)
        n = db.session.scalar(sa.text("select count(*) from key_event"))
        out.append(
            Row(
                f"verify-chain over {n} key events",
                chain_s * 1000,
                "ms",
                target="< 2 s",
                met=chain_s < 2,
            )
        )
        client = app.test_client()
        from tests.conftest import csrf_token_from

        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        client.post(
            "/login", data={"username": "desk", "password": "desk-demo", "csrf_token": token}
        )
        page = best_of(lambda: client.get("/keys/"), 3)
        out.append(
            Row(
                "GET /keys/ (register, 2,000 units)",
                page * 1000,
                "ms",
                target="< 300 ms",
                met=page < 0.3,
            )
        )
        started = time.perf_counter()
        client.get("/keys/register.xlsx")
        xlsx = time.perf_counter() - started
        out.append(
            Row(
                "GET /keys/register.xlsx (all keys)",
                xlsx * 1000,
                "ms",
                target="< 3 s",
                met=xlsx < 3,
            )
        )
    return out
