"""The op registry (sync/ops.py): every op type has one home (schema, handler, path, feed),
and nothing outside it reaches a handler."""

from __future__ import annotations

import uuid

import pytest
from marshmallow import Schema

from sync import merge, ops, pull
from sync.schemas import KeyReturnSchema
from tests.sync.conftest import T0, codes_of
from webapp.api.openapi import build, payload_name


def test_every_registered_type_has_a_schema_and_a_handler(app):
    """Does every op type's line name a payload schema, a handler of the sync package, and a
    pulled record type pull can load? Are the fast path, the key locks and the feed read from
    those lines alone?"""
    assert set(ops.OPS) >= {"check.record", "finding.create", "key.lend", "key.return"}
    for name, op_type in ops.OPS.items():
        assert op_type.name == name
        assert issubclass(op_type.schema, Schema)
        assert callable(op_type.handler)
        assert op_type.handler.__module__ in (
            "sync.records",
            "sync.keys",
            "sync.notices",
            "sync.acceptance",
        )
        # A key op reads and writes a key's shared history: never written in a batch.
        assert not (op_type.fast and op_type.locks_key)
        if op_type.feeds:
            assert op_type.feeds in pull.LOADERS
    assert {n: t.schema for n, t in ops.OPS.items()} == ops.PAYLOAD_SCHEMAS
    assert {n for n, t in ops.OPS.items() if t.fast} == ops.FAST_TYPES
    assert {n for n, t in ops.OPS.items() if t.locks_key} == ops.KEY_OPS
    assert {n: t.feeds for n, t in ops.OPS.items() if t.feeds} == ops.FEED_TYPES
    assert ops.FEED_TYPES["check.record"] == "check"


def test_a_type_cannot_be_registered_without_a_handler():
    """Is a line with a schema but no handler (the slip that once answered 500) refused when
    the module loads, not found by a phone?"""
    with pytest.raises(TypeError, match="handler"):
        ops.OpType("key.misplace", KeyReturnSchema, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="schema"):
        ops.OpType("key.misplace", dict, lambda ctx, op: None)  # type: ignore[arg-type]


def test_the_openapi_document_lists_every_registered_type(app):
    """Does /api/openapi.json name every op type and hold its payload schema?"""
    document = build()
    push = document["paths"]["/api/sync/push"]["post"]["description"]
    for name in ops.OPS:
        assert name in push
        assert payload_name(name) in document["components"]["schemas"]
    assert payload_name("key.lend") == "KeyLendPayload"


def _stray(code: str, op_type: str) -> dict:
    return {
        "op_id": str(uuid.uuid4()),
        "type": op_type,
        "occurred_at": T0.isoformat(),
        "payload": {"id": str(uuid.uuid4()), "code": code},
    }


def test_an_unknown_type_is_rejected_for_itself(app, phone):
    """Is an op of a type no line names answered rejected (unknown_type), and the key op
    beside it still applied?"""
    code = codes_of(app, 1, "key", 1, status="in")[0]
    good = _stray(code, "key.return") | {"occurred_at": T0.isoformat()}
    response = phone.push([_stray(code, "key.misplace"), good])
    assert response.status_code == 200
    stray, applied = response.get_json()["results"]
    assert (stray["status"], stray["error"]) == ("rejected", "unknown_type")
    assert applied["status"] in ("applied", "conflict")


def test_a_type_with_a_schema_but_no_handler_answers_rejected_not_500(app, phone, monkeypatch):
    """Does an op type given a schema but no handler answer the contract's rejection for that
    op, never a 500 for the whole batch (which the phone would retry forever)?"""
    monkeypatch.setitem(merge._PAYLOADS, "key.misplace", KeyReturnSchema())
    code = codes_of(app, 1, "key", 1, status="in")[0]
    response = phone.push([_stray(code, "key.misplace")])
    assert response.status_code == 200
    (result,) = response.get_json()["results"]
    assert (result["status"], result["error"]) == ("rejected", "unknown_type")
