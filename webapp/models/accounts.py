"""People and their phones: users with a role and estates, their signed-in browser sessions,
and devices holding API tokens.

A change of password, role or active flag ends the user's sessions and device tokens
(webapp/auth/sessions.py listens for it on every flush, whatever code made the change).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import uuid
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from webapp import vocab
from webapp.extensions import db
from webapp.models.registry import Estate, _enum
from webapp.models.types import UTCDateTime, utcnow

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-password")

ROLES = tuple(vocab.ROLES)
# The roles that may see every estate, present and future (an organisation admin, a head-office
# supervisor): ``User.all_estates``.
ALL_ESTATE_ROLES = ("admin", "supervisor")
# The password policy of every form that sets one (admin pages, the user's own change).
MIN_PASSWORD = 10
MAX_PASSWORD_SET = 200
# A username wherever one is made (the users page, ``flask create-user``): 2 to 64 ASCII
# letters, digits, dots, dashes and underscores — nothing invisible, nothing a log must quote.
MIN_USERNAME, MAX_USERNAME = 2, 64
USERNAME_CHARS = re.compile(r"[A-Za-z0-9._-]+\Z")

user_estate = sa.Table(
    "user_estate",
    db.Model.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("estate_id", sa.ForeignKey("estate.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A person who logs in: one role, one or more estates — or, for an organisation admin or
    a head-office supervisor, every estate there is and will be (``all_estates``)."""

    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint(
            "NOT all_estates OR role IN ('admin', 'supervisor')", name="all_estates_role"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(_enum(ROLES, "role"))
    active: Mapped[bool] = mapped_column(default=True)
    # Every estate, resolved when asked (never a frozen list): estates added later included.
    all_estates: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    estates: Mapped[list[Estate]] = relationship(secondary=user_estate, order_by=Estate.id)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str) -> None:
        """Hash and store a new password (argon2id)."""
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        """Tell whether the password matches, upgrading the hash if its parameters aged.

        Only webapp/auth/passwords.py calls this for a login-like check: it adds the rate
        limit and spends the same time on unknown users.
        """
        if not verify_password(self.password_hash, password):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
            # The same password, stronger hash: not a change that ends the user's sessions.
            self.rehashed_to = self.password_hash
        return True

    @property
    def estate_ids(self) -> list[int]:
        """Ids of the active estates this user may see: every one there is now for an
        all-estates user (read once per transaction), else those they are appointed to."""
        if self.all_estates:
            return every_estate_id(self)
        return [e.id for e in self.estates if e.active]

    @property
    def visible_estates(self) -> list[Estate]:
        """The active estates this user may see, in id order (every one there is for an
        all-estates user: read once per transaction, with their ids)."""
        if not self.all_estates:
            return [e for e in self.estates if e.active]
        return every_estate(self)

    @property
    def name(self) -> str:
        return self.display_name or self.username


def every_estate_id(user: User) -> list[int]:
    """Every active estate's id, read at most once per transaction of the user's session (a
    later transaction reads again, so an estate added meanwhile is seen)."""
    return list(_every_estate(user)[0])


def every_estate(user: User) -> list[Estate]:
    """Every active estate, in id order: the rows of every_estate_id's one read (their ids
    scope the user's reads, the rows name them on the same page)."""
    return list(_every_estate(user)[1])


def _every_estate(user: User) -> tuple[list[int], list[Estate]]:
    # A user read in an earlier session (a streamed export runs after its request's session
    # closed) belongs to none: the request's own session reads then (``db.session()``: the
    # scoped proxy itself has no get_transaction).
    session = object_session(user) or db.session()
    transaction = session.get_transaction()
    cached = getattr(user, "_every_estate", None)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1]
    estates = list(session.scalars(sa.select(Estate).where(Estate.active).order_by(Estate.id)))
    found = ([estate.id for estate in estates], estates)
    if transaction is not None:
        user._every_estate = (transaction, found)
    return found


def shown_names(session, user_ids) -> dict[int, str]:
    """Each user's name as screens show it (``User.name``: the display name, else the
    username), for many users in one read."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(
        sa.select(User.id, User.display_name, User.username).where(User.id.in_(ids))
    )
    return {user_id: shown or username for user_id, shown, username in rows}


def verify_password(password_hash: str, password: str) -> bool:
    """One argon2 verification (the module's hasher is looked up at call time)."""
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def burn_password_check(password: str) -> None:
    """Spend the time of a real check, so an unknown username is not told apart by timing."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_DUMMY_HASH, password)


def hash_token(token: str) -> str:
    """Hash an API token for storage; tokens are random, so SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(db.Model):
    """One signed-in browser. Its cookie carries a random secret; only the secret's SHA-256 is
    kept here. Ending the row ends the session, whatever copies of the cookie exist."""

    __tablename__ = "user_session"
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Device(db.Model):
    """A phone or integration holding an API token; the token itself is never stored."""

    __tablename__ = "device"
    id: Mapped[str] = mapped_column(
        sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4())
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_count: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[Device, str]:
        """Create a device for the user; returns it with its one-time plaintext token."""
        token = secrets.token_urlsafe(32)
        return cls(user=user, name=name, token_hash=hash_token(token)), token
