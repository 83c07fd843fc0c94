"""Accounts, for admins only: ``GET /api/users``, ``POST /api/users`` (add),
``POST /api/users/{username}/disable|enable|reset-password|delete`` and
``GET /api/audit`` (the audit log, newest first, paged). The admin page
(``/admin/users``) is their user; `server.services.accounts` does the work and writes
the audit log. A refused change answers the API's error body (``invalid`` 422,
``not_found`` 404, ``conflict`` 409) with the service's own sentences.

A password the server generated is in the answer once and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from server.auth.users import MIN_PASSWORD, User, UserError
from server.http.bodies import StrictBody
from server.http.deps import Context, require
from server.http.errors import DEFAULT_STATUS, STATUS
from server.services import accounts

router = APIRouter(prefix="/api", tags=["users"])
Admin = Annotated[User, Depends(require("admin"))]
Username = Annotated[str, Path(min_length=1, max_length=64)]
T = TypeVar("T")


class AccountOut(BaseModel):
    username: str
    role: str
    clerk_id: str | None
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None
    active: bool


class AccountList(BaseModel):
    users: list[AccountOut]


class AddBody(StrictBody):
    username: str = Field(min_length=1, max_length=64)
    role: str = Field(max_length=16)
    clerk_id: str | None = Field(default=None, max_length=32)
    #: None: the server generates one and answers it once.
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=200)


class PasswordBody(StrictBody):
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=200)


class Changed(BaseModel):
    username: str
    #: Sessions ended by the change.
    sessions_ended: int = 0
    #: A password the server generated: shown once.
    password: str | None = None


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


class AuditPage(BaseModel):
    total: int
    entries: list[AuditOut]


def _change(context: Context, work: Callable[[Session], T]) -> T | JSONResponse:
    """``work`` in one write transaction; the live pages check their sessions after."""
    try:
        with context.db.write() as s:
            result = work(s)
    except UserError as e:
        detail = {"code": e.code, "message": e.vi, "message_en": e.en}
        return JSONResponse({"detail": detail}, status_code=STATUS.get(e.code, DEFAULT_STATUS))
    context.sessions_changed()
    return result


@router.get("/users")
def list_users(context: Context, user: Admin) -> AccountList:
    """Every account, by name; times in UTC."""
    with context.db.read() as s:
        views = accounts.list_accounts(s)
    return AccountList(users=[AccountOut(**v.__dict__) for v in views])


@router.post("/users", status_code=201, response_model=None)
def add_user(body: AddBody, context: Context, user: Admin) -> Changed | JSONResponse:
    password = body.password or accounts.generate_password()

    def work(s: Session) -> Changed:
        made = accounts.add_account(
            s, context.config, user.username, body.username, password, body.role, body.clerk_id
        )
        return Changed(username=made.username, password=None if body.password else password)

    return _change(context, work)


@router.post("/users/{username}/disable", response_model=None)
def disable_user(username: Username, context: Context, user: Admin) -> Changed | JSONResponse:
    """Disable the account; its sessions end (its open pages go to the log-in)."""
    return _change(
        context,
        lambda s: Changed(
            username=username, sessions_ended=accounts.disable(s, user.username, username)
        ),
    )


@router.post("/users/{username}/enable", response_model=None)
def enable_user(username: Username, context: Context, user: Admin) -> Changed | JSONResponse:
    def work(s: Session) -> Changed:
        accounts.enable(s, user.username, username)
        return Changed(username=username)

    return _change(context, work)


@router.post("/users/{username}/reset-password", response_model=None)
def reset_password(
    username: Username, body: PasswordBody, context: Context, user: Admin
) -> Changed | JSONResponse:
    """A new password (generated when none is given); the account's sessions end."""

    def work(s: Session) -> Changed:
        new = accounts.reset_password(s, user.username, username, body.password)
        return Changed(username=username, password=None if body.password else new)

    return _change(context, work)


@router.post("/users/{username}/delete", response_model=None)
def delete_user(username: Username, context: Context, user: Admin) -> Changed | JSONResponse:
    """Delete the account (not the last admin, not your own)."""

    def work(s: Session) -> Changed:
        accounts.delete_account(s, user.username, username)
        return Changed(username=username)

    return _change(context, work)


@router.get("/audit")
def audit_log(
    context: Context,
    user: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    """The account changes, newest first."""
    with context.db.read() as s:
        entries, total = accounts.audit_entries(s, limit, offset)
    return AuditPage(total=total, entries=[AuditOut(**e.__dict__) for e in entries])
