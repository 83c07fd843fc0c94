"""Bearer-token authentication and role checks for the JSON API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.users import User, user_for_token

_bearer = HTTPBearer(auto_error=False)


def current_user(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> User:
    if creds is None or not creds.credentials:
        raise HTTPException(
            401,
            {"code": "not_logged_in", "message": "Cần đăng nhập", "message_en": "log in first"},
            headers={"WWW-Authenticate": "Bearer"},
        )
    with request.app.state.runtime.db.read() as s:
        user = user_for_token(s, creds.credentials)
    if user is None:
        raise HTTPException(
            401,
            {
                "code": "bad_token",
                "message": "Phiên đăng nhập hết hạn",
                "message_en": "invalid or expired token",
            },
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def require(*roles: str) -> Callable[[User], User]:
    def check(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(
                403,
                {
                    "code": "forbidden",
                    "message": "Tài khoản không có quyền này",
                    "message_en": f"needs role {' or '.join(roles)}",
                },
            )
        return user

    return check
