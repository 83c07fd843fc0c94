"""The hub's log-in accounts (``motcua hub user-add``): an admin or supervisor, for every
office (``site`` None) or for one office (an office supervisor).

The office server's accounts (`server.auth.users`) with the hub's rules: no clerk or
board accounts, and the office must be one the hub knows (a row of ``offices``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from protocol.refusals import Reason
from server.auth.passwords import hash_user_password
from server.auth.users import USERNAME, UserError, check_password
from server.db.tables import OfficeRow, UserRow
from server.timeutil import now_utc

HUB_ACCOUNT_ROLES = ("supervisor", "admin")


def add_hub_user(
    s: Session, username: str, password: str, role: str, site: str | None = None
) -> UserRow:
    """Add a hub account; `UserError` (both languages) when refused."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise UserError(
            "tên đăng nhập: 2–64 ký tự a-z, 0-9, . _ -", "username: 2–64 chars a-z 0-9 . _ -"
        )
    if role not in HUB_ACCOUNT_ROLES:
        raise UserError(
            "vai trò trên trung tâm: supervisor hoặc admin",
            "a hub role is supervisor or admin",
        )
    check_password(password)
    if site is not None and s.get(OfficeRow, site) is None:
        known = ", ".join(s.scalars(select(OfficeRow.code).order_by(OfficeRow.code)).all())
        raise UserError(
            f"trung tâm chưa có đơn vị {site} (đã có: {known or 'chưa có'}); "
            "thêm bằng `motcua hub add-office`",
            f"the hub has no office {site} (known: {known or 'none'}); "
            "add it with `motcua hub add-office`",
            Reason.NOT_FOUND,
        )
    if s.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise UserError(f"tài khoản {username} đã có", f"user {username} exists", Reason.CONFLICT)
    row = UserRow(
        username=username,
        password_hash=hash_user_password(password),
        role=role,
        active=True,
        created_at=now_utc(),
        site=site,
    )
    s.add(row)
    s.flush()
    return row
