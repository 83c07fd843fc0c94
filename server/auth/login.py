"""The log-in check, one for the API (``POST /api/login``, a bearer token) and the log-in
form (a session cookie): the password, with failed attempts rate-limited per account and
per client address (`server.auth.ratelimit`).

A refusal is a `LoginRefused` with a stable code; each caller says it its own way (a JSON
error body worded by `protocol.refusals`, or the form shown again with a sentence).
"""

from __future__ import annotations

from protocol.errors import MotcuaError
from protocol.refusals import Reason
from server.auth.ratelimit import LoginLimiter
from server.auth.users import User, authenticate
from server.db.database import Database


class LoginRefused(MotcuaError):
    """A refused log-in: ``bad_credentials``, or ``too_many_attempts`` with the seconds
    until one may be tried again (``retry_after``)."""

    def __init__(self, code: Reason, *, retry_after: int | None = None) -> None:
        super().__init__(code, retry_after=retry_after)
        self.retry_after = retry_after


def check_login(
    db: Database, limiter: LoginLimiter, username: str, password: str, address: str
) -> User:
    """Authenticate, with failed attempts rate-limited per account and address."""
    name = username.strip().lower()
    wait = limiter.retry_after(name, address)
    if wait:
        raise LoginRefused(Reason.TOO_MANY_ATTEMPTS, retry_after=wait)
    with db.read() as s:
        user = authenticate(s, username, password)
    if user is None:
        limiter.failed(name, address)
        raise LoginRefused(Reason.BAD_CREDENTIALS)
    limiter.succeeded(name, address)
    return user
