"""Administering the accounts of the web console: list, add, disable, enable, reset a
password, delete, revoke sessions, a board's token, each written to the audit log in
the same transaction as the change.

Decisions (see docs/operations.md, "10. People and accounts"):

* A disabled account's log-in is refused with the same sentence, after the same work,
  as a wrong password (`server.auth.users.authenticate`): nobody learns from the log-in
  form which accounts exist or are disabled. Disabling ends every session and token.
* The last active admin can be neither disabled nor deleted, and an admin cannot disable
  or delete their own account from the page (another admin, or the command line, can).
* Deleting removes the account and its sessions. History never points at an account:
  tickets, ratings and reports name the clerk id of the configuration, the audit log and
  handled suggestions keep the username as text. So a delete loses no history; disabling
  is still what to do for a clerk who left (the name stays reserved, and the audit log
  stays unambiguous).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from protocol.refusals import Reason
from server.auth.passwords import hash_user_password
from server.auth.tokens import board_token, revoke_all_tokens
from server.auth.users import User, UserError, add_user, check_password
from server.config import SiteConfig
from server.db.tables import ApiTokenRow, AuditRow, UserRow
from server.timeutil import now_utc

DETAIL_MAX = 500
#: Length of a generated password (URL-safe characters: ~96 bits).
GENERATED_CHARS = 16


@dataclass(frozen=True)
class AccountView:
    username: str
    role: str
    clerk_id: str | None
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None
    active: bool


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


def record(s: Session, actor: str, action: str, target: str, detail: str = "") -> None:
    """One audit row, in the caller's transaction (so it exists iff the change does)."""
    s.add(
        AuditRow(
            at=now_utc(),
            actor=actor[:80],
            action=action[:32],
            target=target[:64],
            detail=detail[:DETAIL_MAX],
        )
    )


def list_accounts(s: Session) -> list[AccountView]:
    rows = s.scalars(select(UserRow).order_by(UserRow.username)).all()
    return [
        AccountView(
            r.username, r.role, r.clerk_id, r.created_at, r.last_login_at, r.disabled_at, r.active
        )
        for r in rows
    ]


def audit_entries(s: Session, limit: int = 50, offset: int = 0) -> tuple[list[AuditEntry], int]:
    """A page of the audit log, newest first, and how many rows there are in all."""
    total = s.scalar(select(func.count()).select_from(AuditRow)) or 0
    rows = s.scalars(
        select(AuditRow).order_by(AuditRow.id.desc()).limit(limit).offset(offset)
    ).all()
    return [AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.detail) for r in rows], total


def _row(s: Session, username: str) -> UserRow:
    name = username.strip().lower()
    row = s.scalar(select(UserRow).where(UserRow.username == name))
    if row is None:
        raise UserError(f"không có tài khoản {name}", f"no user {name}", Reason.NOT_FOUND)
    return row


def _end_sessions(s: Session, row: UserRow) -> int:
    ended = s.scalar(
        select(func.count()).select_from(ApiTokenRow).where(ApiTokenRow.user_id == row.id)
    )
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == row.id))
    return ended or 0


def _keep_an_admin(s: Session, actor: str, row: UserRow, what_vi: str, what_en: str) -> None:
    """Refuse taking away the last active admin, or an admin's own account."""
    if row.username == actor:
        raise UserError(
            f"không thể {what_vi} chính tài khoản đang dùng",
            f"you cannot {what_en} the account you are using",
            Reason.CONFLICT,
        )
    if row.role != "admin" or not row.active:
        return
    others = s.scalar(
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == "admin", UserRow.active.is_(True), UserRow.id != row.id)
    )
    if not others:
        raise UserError(
            f"không thể {what_vi} quản trị viên cuối cùng: hãy tạo một quản trị viên khác trước",
            f"cannot {what_en} the last admin: add another admin first",
            Reason.CONFLICT,
        )


def _describe(role: str, clerk_id: str | None) -> str:
    return f"role={role}" + (f" clerk={clerk_id}" if clerk_id else "")


def add_account(
    s: Session,
    config: SiteConfig,
    actor: str,
    username: str,
    password: str,
    role: str,
    clerk_id: str | None = None,
) -> User:
    user = add_user(s, config, username, password, role, clerk_id)
    record(s, actor, "add", user.username, _describe(user.role, user.clerk_id))
    return user


def disable(s: Session, actor: str, username: str) -> int:
    """Disable an account and end its sessions; how many sessions ended."""
    row = _row(s, username)
    if not row.active:
        return 0
    _keep_an_admin(s, actor, row, "khoá", "disable")
    row.active, row.disabled_at = False, now_utc()
    ended = _end_sessions(s, row)
    record(s, actor, "disable", row.username, f"sessions_ended={ended}")
    return ended


def enable(s: Session, actor: str, username: str) -> bool:
    """Enable a disabled account; False if it was not disabled."""
    row = _row(s, username)
    if row.active:
        return False
    row.active, row.disabled_at = True, None
    record(s, actor, "enable", row.username)
    return True


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_CHARS)[:GENERATED_CHARS]


def reset_password(s: Session, actor: str, username: str, password: str | None = None) -> str:
    """Set a new password (generated when None) and end the account's sessions; the
    password set."""
    row = _row(s, username)
    new = password if password is not None else generate_password()
    check_password(new)
    row.password_hash = hash_user_password(new)
    ended = _end_sessions(s, row)
    how = "generated" if password is None else "given"
    record(s, actor, "reset_password", row.username, f"password={how} sessions_ended={ended}")
    return new


def delete_account(s: Session, actor: str, username: str) -> None:
    row = _row(s, username)
    _keep_an_admin(s, actor, row, "xoá", "delete")
    ended = _end_sessions(s, row)
    detail = _describe(row.role, row.clerk_id)
    s.delete(row)
    record(s, actor, "delete", row.username, f"{detail} sessions_ended={ended}")


def revoke(s: Session, actor: str, username: str) -> int:
    ended = revoke_all_tokens(s, username)
    record(s, actor, "revoke", username.strip().lower(), f"sessions_ended={ended}")
    return ended


def issue_board_token(
    s: Session, config: SiteConfig, actor: str, name: str, days: int
) -> tuple[str, datetime]:
    row = s.scalar(select(UserRow).where(UserRow.username == name.strip().lower()))
    if row is not None and not row.active:
        raise UserError(
            f"tài khoản {row.username} đang bị khoá: hãy mở khoá trước",
            f"{row.username} is disabled: enable it first",
            Reason.CONFLICT,
        )
    token, expires = board_token(s, config, name, days)
    record(s, actor, "board_token", name.strip().lower(), f"days={days}")
    return token, expires
