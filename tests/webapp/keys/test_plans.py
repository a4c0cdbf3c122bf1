"""The register's reads use their indexes (plans, not timings; bench/bench_keys.py times them on
20,000 keys and three years of loans)."""

from __future__ import annotations

from tests.webapp.keys.conftest import key_tags
from tests.webapp.test_query_plans import _one, _plan, _recorded


def test_the_loan_record_pages_through_its_partial_index(app, client, auth, seed):
    """Are a page of the loan record (its ids, however deep) and its count read through
    ``ix_key_event_ledger`` (the record's lines of an estate by device time: its predicate must
    match how the query writes it), and a key's lines through the key index?"""
    auth.login("desk")
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "public_area")
    with app.app_context(), _recorded() as statements:
        assert client.get("/keys/ledger?page=2").status_code == 200
        assert client.get(f"/keys/ledger?key={code}").status_code == 200
    with app.app_context():
        page = _one(statements, "SELECT key_event.id", "FROM key_event", "OFFSET")
        assert "ix_key_event_ledger" in _plan(*page)
        count = _one(statements, "count(*)", "FROM key_event")
        assert "ix_key_event_ledger" in _plan(*count)
        by_key = [s for s in statements if "key_event.key_id IN" in s[0] and "LIMIT" in s[0]]
        assert by_key and "ix_key_event_key_id" in _plan(*by_key[0])


def test_the_approver_of_a_lend_is_found_by_its_index(app, client, auth, seed):
    """Is the approver of each lend on a page looked up through
    ``ix_key_approval_used_by_event_id``, not a scan of every approval?"""
    auth.login("desk")
    with app.app_context(), _recorded() as statements:
        assert client.get("/keys/ledger").status_code == 200
    with app.app_context():
        statement = _one(statements, "FROM key_approval", "used_by_event_id IN")
        assert "ix_key_approval_used_by_event_id" in _plan(*statement)


def test_the_register_reads_its_keys_without_the_event_log(app, client, auth, seed):
    """Does the register page its keys (sorted by the newest movement kept on each key) without
    joining or grouping the event log, then read the page's newest events by their ids?"""
    auth.login("desk")
    with app.app_context(), _recorded() as statements:
        assert client.get("/keys/").status_code == 200
    with app.app_context():
        page, _parameters = _one(statements, "FROM key", "ORDER BY", "LIMIT")
        assert "key_event" not in page and "GROUP BY" not in page.upper()
        events = _one(statements, "FROM key_event", "key_event.id IN")
        plan = _plan(*events)
        assert "pk_key_event" in plan or "sqlite_autoindex_key_event_1" in plan, plan
