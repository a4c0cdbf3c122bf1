"""The demo's key register history."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Key
from webapp.models.key_requests import KeyRequest
from webapp.models.sync import KeyEvent


def test_the_demo_has_keys_out_overdue_issued_unapproved_and_one_disputed(app):
    """Does demo-data leave keys out, overdue, issued, an unapproved lend and one disputed key,
    with an intact chain?"""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data", "--units-per-estate", "40", "--days", "10"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from webapp.keys.queries import Filters, register_query

        def count(status):
            query = register_query(Filters(status=status), _Everyone())
            return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))

        assert count("overdue") >= 3
        assert count("issued") >= 5
        assert count("unapproved") >= 1
        assert count("disputed") == 1
        # Engineering's home has a loan and a copy to answer, and one refusal answered.
        statuses = db.session.execute(
            sa.select(KeyRequest.kind, KeyRequest.status).order_by(KeyRequest.id)
        ).all()
        assert sorted(statuses) == [("copy", "pending"), ("loan", "pending"), ("loan", "refused")]
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(KeyEvent).where(KeyEvent.action == "issue")
            )
            == 5
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(Key).where(Key.status == "disputed")
            )
            == 1
        )
    assert runner.invoke(args=["keys", "verify-chain"]).exit_code == 0


class _Everyone:
    is_authenticated = True

    @property
    def estate_ids(self):
        from webapp.models import Estate

        return list(db.session.scalars(sa.select(Estate.id)))
