"""People who log in (admin, supervisor, clerk, board) and their API tokens.

Passwords are hashed with argon2id; tokens are random and only their SHA-256 is kept.
There is no default account: the first admin is made with ``motcua user add``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.db.tables import ApiTokenRow, UserRow
from server.passwords import hash_user_password, verify_user_password
from server.timeutil import now_utc

Role = Literal["admin", "supervisor", "clerk", "board"]
ROLES: tuple[Role, ...] = ("admin", "supervisor", "clerk", "board")
TOKEN_TTL = timedelta(hours=12)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10


class UserError(ValueError):
    pass


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    clerk_id: str | None


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.role, row.clerk_id)  # type: ignore[arg-type]


def add_user(
    s: Session,
    config: SiteConfig,
    username: str,
    password: str,
    role: str,
    clerk_id: str | None = None,
) -> User:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise UserError(
            "tên đăng nhập: 2–64 ký tự a-z, 0-9, . _ - / username: 2–64 chars a-z 0-9 . _ -"
        )
    if role not in ROLES:
        raise UserError(f"vai trò phải là một trong / role must be one of: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự / password needs {MIN_PASSWORD}+ characters"
        )
    if role == "clerk":
        if not clerk_id or clerk_id not in config.clerk_by_id:
            raise UserError(
                "tài khoản cán bộ cần --clerk là mã cán bộ trong cấu hình"
                " / a clerk account needs --clerk"
            )
    elif clerk_id:
        raise UserError(
            "chỉ tài khoản cán bộ mới gắn với mã cán bộ / only clerk accounts have --clerk"
        )
    if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise UserError(f"tài khoản {username!r} đã có / user {username!r} exists")
    row = UserRow(
        username=username,
        password_hash=hash_user_password(password),
        role=role,
        clerk_id=clerk_id,
        active=True,
        created_at=now_utc(),
    )
    s.add(row)
    s.flush()
    return _user(row)


def authenticate(s: Session, username: str, password: str) -> User | None:
    row = s.scalar(
        select(UserRow).where(
            UserRow.username == username.strip().lower(), UserRow.active.is_(True)
        )
    )
    if row is None:
        verify_user_password(password, _DUMMY_HASH)  # same time whether or not the user exists
        return None
    return _user(row) if verify_user_password(password, row.password_hash) else None


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
    return token, expires


def user_for_token(s: Session, token: str) -> User | None:
    row = s.execute(
        select(UserRow, ApiTokenRow.expires_at)
        .join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
        .where(ApiTokenRow.token_hash == token_digest(token), UserRow.active.is_(True))
    ).first()
    if row is None or row[1] <= now_utc():
        return None
    return _user(row[0])


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
        raise UserError(f"{name!r} không phải tài khoản màn hình / is not a board account")
    else:
        user = _user(row)
    return issue_token(s, user, timedelta(days=days))


def revoke_all_tokens(s: Session, username: str) -> int:
    """Log a user out everywhere (a stolen board token, a clerk who left)."""
    user_id = s.scalar(select(UserRow.id).where(UserRow.username == username.strip().lower()))
    if user_id is None:
        raise UserError(f"không có tài khoản {username!r} / no user {username!r}")
    return s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user_id)).rowcount or 0


def token_expiry(s: Session, token: str) -> datetime | None:
    return s.scalar(
        select(ApiTokenRow.expires_at).where(ApiTokenRow.token_hash == token_digest(token))
    )


def revoke_token(s: Session, token: str) -> None:
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.token_hash == token_digest(token)))


_DUMMY_HASH = hash_user_password(secrets.token_urlsafe(16))
