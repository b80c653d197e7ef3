"""The web dashboard's people: users with a role and an argon2 password hash, their
sessions, and failed logins (for rate limiting). `socialbot users` and `socialbot serve`
both go through these functions.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from socialbot.errors import SocialbotError
from socialbot.store import Store
from socialbot.store.types import UTCDateTime, utcnow

logger = logging.getLogger(__name__)

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Role(StrEnum):
    """What a web user may do: viewers read, moderators also decide drafts, admins both."""

    VIEWER = "viewer"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def may_moderate(self) -> bool:
        return self is not Role.VIEWER


class WebUserRow(SQLModel, table=True):
    __tablename__ = "web_users"

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    name: str = Field(max_length=100, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class WebSessionRow(SQLModel, table=True):
    __tablename__ = "web_sessions"

    #: SHA-256 of the cookie's token: a copy of the database does not log anyone in
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(
        sa_column=Column(_ID, ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class WebLoginFailureRow(SQLModel, table=True):
    __tablename__ = "web_login_failures"
    __table_args__ = (Index("ix_web_login_failures_at", "at"),)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    address: str = Field(max_length=64)
    username: str = Field(max_length=100)


USERS: Table = WebUserRow.__table__  # type: ignore[attr-defined]
SESSIONS: Table = WebSessionRow.__table__  # type: ignore[attr-defined]
FAILURES: Table = WebLoginFailureRow.__table__  # type: ignore[attr-defined]

#: argon2id with the library's defaults (RFC 9106's second recommended profile)
_HASHER = PasswordHasher()
#: checked against when the name is unknown, so a wrong name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))

MIN_PASSWORD = 8
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


class UserError(SocialbotError):
    """A user cannot be added or removed as asked; the message says why."""


@dataclass(frozen=True, slots=True)
class WebUser:
    id: int
    name: str
    role: Role
    created_at: datetime


def _user(row: Any) -> WebUser:
    return WebUser(int(row.id), row.name, Role(row.role), row.created_at)


# -- users ------------------------------------------------------------------------------
def add_user(store: Store, name: str, *, role: Role, password: str) -> WebUser:
    """Create a user; the password is kept only as an argon2id hash."""
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise UserError(f"user name {name!r}: use 1-100 letters, digits and . _ - @")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")
    now = utcnow()
    try:
        with store.transaction() as conn:
            pk = conn.execute(
                insert(USERS).values(name=name, role=role.value,
                                     password_hash=_HASHER.hash(password), created_at=now)
                .returning(USERS.c.id)
            ).scalar_one()
    except IntegrityError:
        raise UserError(f"a user named {name!r} already exists") from None
    logger.info("web user %s added (%s)", name, role)
    return WebUser(int(pk), name, role, now)


def list_users(store: Store) -> list[WebUser]:
    with store.reading() as conn:
        return [_user(r) for r in conn.execute(select(USERS).order_by(USERS.c.name))]


def remove_user(store: Store, name: str) -> None:
    """Delete a user and, with them, every session they have open."""
    with store.transaction() as conn:
        user_id = conn.execute(select(USERS.c.id).where(USERS.c.name == name)).scalar()
        if user_id is None:
            raise UserError(f"no user named {name!r}")
        # explicit: SQLite enforces the cascade too, but only with foreign keys on
        conn.execute(delete(SESSIONS).where(SESSIONS.c.user_id == user_id))
        conn.execute(delete(USERS).where(USERS.c.id == user_id))
    logger.info("web user %s removed", name)


def check_password(store: Store, name: str, password: str) -> WebUser | None:
    """The user, if `password` is theirs; None otherwise (unknown names cost the same)."""
    with store.reading() as conn:
        row = conn.execute(select(USERS).where(USERS.c.name == name)).first()
    try:
        _HASHER.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row) if row is not None else None


# -- sessions ---------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, user: WebUser, *, lifetime: timedelta) -> str:
    """A new session for `user`; returns the token for the cookie (a fresh one per login)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))
        conn.execute(insert(SESSIONS).values(token_hash=_digest(token), user_id=user.id,
                                             created_at=now, expires_at=now + lifetime))
    return token


def session_user(store: Store, token: str) -> WebUser | None:
    """Who holds the session `token`, while it has not expired."""
    with store.reading() as conn:
        row = conn.execute(
            select(USERS).join(SESSIONS, SESSIONS.c.user_id == USERS.c.id)
            .where(SESSIONS.c.token_hash == _digest(token), SESSIONS.c.expires_at > utcnow())
        ).first()
    return _user(row) if row is not None else None


def close_session(store: Store, token: str) -> None:
    with store.transaction() as conn:
        conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == _digest(token)))


# -- rate limiting ----------------------------------------------------------------------
def recent_failures(store: Store, *, address: str, username: str, since: datetime) -> int:
    """Failed logins since `since` from this address or for this user name (the larger)."""
    with store.reading() as conn:
        rows = conn.execute(
            select(FAILURES.c.address, FAILURES.c.username)
            .where(FAILURES.c.at >= since,
                   or_(FAILURES.c.address == address, FAILURES.c.username == username))
        ).all()
    return max(sum(r.address == address for r in rows), sum(r.username == username for r in rows))


def note_failure(store: Store, *, address: str, username: str, forget_before: datetime) -> None:
    with store.transaction() as conn:
        conn.execute(delete(FAILURES).where(FAILURES.c.at < forget_before))
        conn.execute(insert(FAILURES).values(at=utcnow(), address=address[:64],
                                             username=username[:100]))


def forget_failures(store: Store, *, username: str) -> None:
    """A successful login clears the user's count (the address's stays)."""
    with store.transaction() as conn:
        conn.execute(delete(FAILURES).where(FAILURES.c.username == username))


def count_users(store: Store) -> int:
    with store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(USERS)).scalar_one())
