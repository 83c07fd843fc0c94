"""People who log in (admin, supervisor, clerk, board).

Passwords are hashed with argon2id. There is no default account: the first admin is made
with ``motcua user add``. Their tokens are `server.auth.tokens`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.refusals import Reason
from server.auth.passwords import hash_user_password, verify_user_password
from server.config import SiteConfig
from server.db.tables import UserRow
from server.timeutil import now_utc

Role = Literal["admin", "supervisor", "clerk", "board"]
ROLES: tuple[Role, ...] = ("admin", "supervisor", "clerk", "board")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10


class UserError(ValueError):
    """An account change refused: its sentence in Vietnamese and English, and the general
    code (``invalid``, ``not_found``, ``conflict``) a caller turns into a status."""

    def __init__(self, vi: str, en: str, code: Reason = Reason.INVALID) -> None:
        super().__init__(f"{vi} / {en}")
        self.vi, self.en, self.code = vi, en, code


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    clerk_id: str | None


def role_of(value: str) -> Role:
    """``value`` as a `Role`; ValueError for a role this version does not know."""
    for role in ROLES:
        if value == role:
            return role
    raise ValueError(f"unknown role {value!r}")


def user_of(row: UserRow) -> User:
    return User(row.id, row.username, role_of(row.role), row.clerk_id)


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
            "tên đăng nhập: 2–64 ký tự a-z, 0-9, . _ -", "username: 2–64 chars a-z 0-9 . _ -"
        )
    if role not in ROLES:
        roles = ", ".join(ROLES)
        raise UserError(f"vai trò phải là một trong: {roles}", f"role must be one of: {roles}")
    check_password(password)
    if role == "clerk":
        if not clerk_id or clerk_id not in config.clerk_by_id:
            raise UserError(
                "tài khoản cán bộ cần mã cán bộ có trong cấu hình",
                "a clerk account needs a clerk id (--clerk) of the configuration",
            )
    elif clerk_id:
        raise UserError(
            "chỉ tài khoản cán bộ mới gắn với mã cán bộ", "only clerk accounts have --clerk"
        )
    if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise UserError(f"tài khoản {username} đã có", f"user {username} exists", Reason.CONFLICT)
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
    return user_of(row)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(
            f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự",
            f"password needs {MIN_PASSWORD}+ characters",
        )


def authenticate(s: Session, username: str, password: str) -> User | None:
    row = s.scalar(
        select(UserRow).where(
            UserRow.username == username.strip().lower(), UserRow.active.is_(True)
        )
    )
    if row is None:
        verify_user_password(password, _DUMMY_HASH)  # same time whether or not the user exists
        return None
    return user_of(row) if verify_user_password(password, row.password_hash) else None


_DUMMY_HASH = hash_user_password(secrets.token_urlsafe(16))
