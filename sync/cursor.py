"""The pull cursor: where a reader stands in the change feed, signed so that only this
server's cursors are honoured.

It records the position (``seq``, ``type``, ``obj_id``), the estates it was issued for, the
snapshot's top (tombstones at or below it are skipped), and unfinished side jobs (tombstones
for an estate the user lost, a back-fill for an estate the user gained).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field

CURSOR_VERSION = 1


class CursorExpired(Exception):
    """The cursor is unknown, tampered with, or older than the tombstones kept."""


@dataclass
class Position:
    seq: int = 0
    type: str = ""
    obj_id: str = ""

    def key(self):
        return [self.seq, self.type, self.obj_id]


@dataclass
class Job:
    """A side job: ``tomb`` (all of a lost estate as deleted) or ``fill`` (a gained estate)."""

    estate_id: int
    mode: str
    pos: Position
    upto: int


@dataclass
class CursorState:
    pos: Position = field(default_factory=Position)
    estates: list[int] = field(default_factory=list)
    snap: int = 0  # a snapshot skips tombstones at or below this seq
    jobs: list[Job] = field(default_factory=list)


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()[:24]


def encode_cursor(state: CursorState, secret: str) -> str:
    """Serialize and sign a cursor."""
    doc = {
        "v": CURSOR_VERSION,
        "p": state.pos.key(),
        "e": state.estates,
        "n": state.snap,
        "j": [[j.estate_id, j.mode, j.pos.key(), j.upto] for j in state.jobs],
    }
    body = base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).rstrip(b"=")
    return body.decode() + "." + _sign(secret, body)


def decode_cursor(text: str, secret: str) -> CursorState:
    """Parse a cursor, refusing anything this server did not sign."""
    try:
        body, sig = text.rsplit(".", 1)
        if not hmac.compare_digest(_sign(secret, body.encode()), sig):
            raise CursorExpired
        doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if doc["v"] != CURSOR_VERSION:
            raise CursorExpired
        return CursorState(
            pos=Position(*doc["p"]),
            estates=[int(e) for e in doc["e"]],
            snap=int(doc["n"]),
            jobs=[Job(int(e), m, Position(*p), int(u)) for e, m, p, u in doc["j"]],
        )
    except CursorExpired:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise CursorExpired from exc
