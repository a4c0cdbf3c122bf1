"""The op types: one line each, the only list of them.

A line names the type, its payload schema (sync/schemas.py, sync/renovation_schemas.py), its
handler (sync/records.py, sync/keys.py, sync/notices.py, sync/acceptance.py), whether a batch
may write it together with others (``fast``: it depends on nothing but its own payload),
whether it touches a key's history (its key is then locked up front, in the global lock order),
and the record type it puts in the pull feed. Everything else that lists op types (the parser,
the push paths, the lock order, the feed, the OpenAPI document) reads it from here;
docs/sync-protocol.md shows how a type is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import Schema

from sync import acceptance, notices
from sync.context import Context, Prepared
from sync.keys import APPROVERS, KEY_HANDLERS, approve, give_back, issue, lend
from sync.records import check_record, finding_create
from sync.renovation_schemas import (
    AcceptanceRecordSchema,
    NoticeDeliverSchema,
    NoticeIssueSchema,
    NoticeSignSchema,
    ReinspectResultSchema,
    SignatureCaptureSchema,
)
from sync.schemas import (
    CheckRecordSchema,
    FindingCreateSchema,
    KeyApproveSchema,
    KeyIssueSchema,
    KeyLendSchema,
    KeyReturnSchema,
    Op,
)


@dataclass(frozen=True)
class OpType:
    """One op type: what it carries, what applies it, and how the merge treats it."""

    name: str
    schema: type[Schema]
    handler: Callable[[Context, Op], Prepared]
    fast: bool = False  # written in one savepoint with the batch's other fast ops
    locks_key: bool = False  # names a key whose row is locked before the batch runs
    feeds: str | None = None  # the pull change type of the record it inserts
    # The roles that may push it (None: every role); another's is quarantined as forbidden,
    # saying who does it (``refused``), so nothing is lost and a supervisor sees it.
    roles: tuple[str, ...] | None = None
    refused: str = ""

    def __post_init__(self):
        if not (isinstance(self.schema, type) and issubclass(self.schema, Schema)):
            raise TypeError(f"op type {self.name!r}: schema must be a marshmallow Schema")
        if not callable(self.handler):
            raise TypeError(f"op type {self.name!r}: it needs a handler")


_HANDLERS_ONLY = (
    "Keys are lent, returned and issued by the patrol, the front desk or a supervisor; "
    "engineering approves a lend and does not make one."
)

_TYPES = (
    OpType("check.record", CheckRecordSchema, check_record, fast=True, feeds="check"),
    OpType("finding.create", FindingCreateSchema, finding_create, fast=True, feeds="finding"),
    OpType(
        "key.lend", KeyLendSchema, lend, locks_key=True, roles=KEY_HANDLERS, refused=_HANDLERS_ONLY
    ),
    OpType(
        "key.return",
        KeyReturnSchema,
        give_back,
        locks_key=True,
        roles=KEY_HANDLERS,
        refused=_HANDLERS_ONLY,
    ),
    OpType(
        "key.issue",
        KeyIssueSchema,
        issue,
        locks_key=True,
        roles=KEY_HANDLERS,
        refused=_HANDLERS_ONLY,
    ),
    OpType(
        "key.approve",
        KeyApproveSchema,
        approve,
        locks_key=True,
        roles=APPROVERS,
        refused="Only engineering approves an equipment-room key.",
    ),
    OpType("notice.issue", NoticeIssueSchema, notices.issue, feeds="notice"),
    OpType("notice.deliver", NoticeDeliverSchema, notices.deliver),
    OpType("notice.sign", NoticeSignSchema, notices.sign),
    OpType("reinspect.result", ReinspectResultSchema, notices.reinspect),
    OpType("acceptance.record", AcceptanceRecordSchema, acceptance.record, feeds="acceptance"),
    OpType("signature.capture", SignatureCaptureSchema, acceptance.capture),
)
OPS: dict[str, OpType] = {t.name: t for t in _TYPES}

# Read from the lines above, never written by hand.
PAYLOAD_SCHEMAS: dict[str, type[Schema]] = {name: t.schema for name, t in OPS.items()}
FAST_TYPES = frozenset(name for name, t in OPS.items() if t.fast)
KEY_OPS = frozenset(name for name, t in OPS.items() if t.locks_key)
FEED_TYPES = {name: t.feeds for name, t in OPS.items() if t.feeds}
