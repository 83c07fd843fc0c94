"""API tokens: what a script, a device or a browser session presents after the log-in.

Tokens are random and only their SHA-256 is kept. A browser session is a token too, kept
in a cookie (`server.auth.sessions`); a display board gets a long-lived one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from protocol.refusals import Reason
from server.auth.users import User, UserError, add_user, user_of
from server.config import SiteConfig
from server.db.tables import ApiTokenRow, UserRow
from server.timeutil import now_utc

TOKEN_TTL = timedelta(hours=12)


def token_digest(token: str) -> str:
    """What is stored of a token (and what the live pages keep of their session)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(s: Session, user: User, ttl: timedelta = TOKEN_TTL) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    now = now_utc()
    expires = now + ttl
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.expires_at < now))
    s.add(
        ApiTokenRow(
            token_hash=token_digest(token), user_id=user.id, created_at=now, expires_at=expires
        )
    )
    s.execute(update(UserRow).where(UserRow.id == user.id).values(last_login_at=now))
    return token, expires


def user_for_token(s: Session, token: str) -> User | None:
    row = s.execute(
        select(UserRow, ApiTokenRow.expires_at)
        .join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
        .where(ApiTokenRow.token_hash == token_digest(token), UserRow.active.is_(True))
    ).first()
    if row is None or row[1] <= now_utc():
        return None
    return user_of(row[0])


def live_tokens(s: Session, digests: Collection[str]) -> set[str]:
    """Which of these token digests still open a session: not revoked, not expired, of
    an active user. One query, however many pages are open."""
    if not digests:
        return set()
    rows = s.execute(
        select(ApiTokenRow.token_hash, ApiTokenRow.expires_at)
        .join(UserRow, ApiTokenRow.user_id == UserRow.id)
        .where(ApiTokenRow.token_hash.in_(list(digests)), UserRow.active.is_(True))
    ).all()
    now = now_utc()
    return {digest for digest, expires in rows if expires > now}


def board_token(
    s: Session, config: SiteConfig, username: str, days: int = 365
) -> tuple[str, datetime]:
    """A long-lived read-only token for a display board, making the ``board`` account
    if it is new (with a random password nobody knows: a board never types one)."""
    name = username.strip().lower()
    row = s.scalar(select(UserRow).where(UserRow.username == name))
    if row is None:
        user = add_user(s, config, name, secrets.token_urlsafe(24), "board")
    elif row.role != "board":
        raise UserError(
            f"{name} không phải tài khoản màn hình",
            f"{name} is not a board account",
            Reason.CONFLICT,
        )
    else:
        user = user_of(row)
    return issue_token(s, user, timedelta(days=days))


def revoke_all_tokens(s: Session, username: str) -> int:
    """Log a user out everywhere (a stolen board token, a clerk who left)."""
    user_id = s.scalar(select(UserRow.id).where(UserRow.username == username.strip().lower()))
    if user_id is None:
        raise UserError(f"không có tài khoản {username}", f"no user {username}", Reason.NOT_FOUND)
    result = s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user_id))
    assert isinstance(result, CursorResult)  # a DELETE's result counts its rows
    return result.rowcount or 0


def token_expiry(s: Session, token: str) -> datetime | None:
    return s.scalar(
        select(ApiTokenRow.expires_at).where(ApiTokenRow.token_hash == token_digest(token))
    )


def revoke_token(s: Session, token: str) -> None:
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.token_hash == token_digest(token)))
