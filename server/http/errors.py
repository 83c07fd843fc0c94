"""The one translator from refusals to HTTP answers.

Every refused request answers the same JSON body, ``{"detail": {"code", "message",
"message_en"}}`` (the shape FastAPI gives an ``HTTPException``), with the status of its
code. Nothing else builds an error body: the domain raises its own refusals —

* `QueueError` (a queue action refused), `PeriodError` and `ReportError` (a report asked
  wrongly), `LoginRefused` (a log-in refused) —

and the API its own `ApiRefusal` (unknown site, a filter out of range, not your letter,
not logged in…). All are `protocol.errors.MotcuaError`s: a `Reason` and the values of
its sentence, worded by `protocol.refusals.REFUSALS`. The status is decided here, by
`STATUS`, so that the domain need not know HTTP. Request validation (pydantic) answers
the same shape with code ``invalid``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from protocol.errors import MotcuaError
from protocol.refusals import Reason
from protocol.text import REFUSED
from server.auth.login import LoginRefused
from server.reports.figures import ReportError
from server.reports.period import PeriodError


class ApiRefusal(MotcuaError):
    """A request the API itself refuses; its status is `STATUS`'s for ``code``."""


#: The HTTP status of each refusal code.
STATUS: dict[Reason, int] = {
    # who is asking (`server.http.deps`, `server.auth.login`)
    Reason.NOT_LOGGED_IN: 401,
    Reason.BAD_TOKEN: 401,
    Reason.BAD_CREDENTIALS: 401,
    Reason.CSRF: 403,
    Reason.FORBIDDEN: 403,
    Reason.TOO_MANY_ATTEMPTS: 429,
    # the request itself
    Reason.UNKNOWN_SITE: 404,
    Reason.BAD_REQUEST: 400,
    Reason.INVALID: 422,
    Reason.CONFLICT: 409,
    Reason.ONE_DAY_ONLY: 422,
    # queue actions (`QueueError`)
    Reason.CLERK_ONLY: 403,
    Reason.NOT_YOUR_DESK: 403,
    Reason.BAD_REASON: 400,
    Reason.SAME_SERVICE: 400,
    Reason.BAD_DOSSIER_CODE: 422,
    Reason.NOT_FOUND: 404,
    Reason.UNKNOWN_CLERK: 404,
    Reason.UNKNOWN_DESK: 404,
    Reason.UNKNOWN_DEVICE: 404,
    Reason.UNKNOWN_PRIORITY: 404,
    Reason.UNKNOWN_SERVICE: 404,
    Reason.BAD_STATE: 409,
    Reason.CLERK_ELSEWHERE: 409,
    Reason.DESK_BUSY: 409,
    Reason.DESK_CLOSED: 409,
    Reason.DESK_PAUSED: 409,
    Reason.DESK_TAKEN: 409,
    Reason.DUPLICATE_TICKET: 409,
    Reason.NO_RECENT_VISIT: 409,
    Reason.NO_TICKET: 409,
    Reason.NOT_IN_RESERVE: 409,
    Reason.NOT_PAUSED: 409,
    Reason.VISIT_CHANGED: 409,
    # letters
    Reason.BAD_NEW_DATE: 422,
    Reason.NOT_YOUR_LETTER: 403,
    # reports (besides `PeriodError` / `ReportError`, all 422)
    Reason.MISSING_PERIOD: 422,
    Reason.BAD_BY: 422,
    Reason.BAD_LANG: 422,
    Reason.BAD_SOURCE: 422,
    Reason.NO_CLERK: 403,
    Reason.NOT_YOUR_FIGURES: 403,
}

#: Errors whose every refusal is one status, whatever the code: a report asked wrongly is
#: a bad request (even ``unknown_service``, a filter, unlike a queue action's 404).
FAMILY_STATUS: dict[type[MotcuaError], int] = {PeriodError: 422, ReportError: 422}

#: A code `STATUS` does not know.
DEFAULT_STATUS = 409

#: Refusals of the token check name the scheme to use (RFC 9110 §11.6.1).
CHALLENGED = frozenset({Reason.NOT_LOGGED_IN, Reason.BAD_TOKEN})


def status_of(exc: MotcuaError) -> int:
    """The family's status, else the table's, else 409."""
    family = FAMILY_STATUS.get(type(exc))
    if family is not None:
        return family
    return STATUS.get(exc.code, DEFAULT_STATUS)


def body(exc: MotcuaError) -> dict[str, dict[str, str]]:
    return {"detail": {"code": exc.code, "message": exc.message, "message_en": exc.message_en}}


async def refusal_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer to any refusal (`MotcuaError`)."""
    assert isinstance(exc, MotcuaError)
    status = status_of(exc)
    headers: dict[str, str] = {}
    if status == 401 and exc.code in CHALLENGED:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, LoginRefused) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(body(exc), status_code=status, headers=headers or None)


async def invalid_response(request: Request, exc: Exception) -> JSONResponse:
    """A request pydantic refused: each field named in English; the Vietnamese sentence of
    typed text that refused itself, else a generic one."""
    assert isinstance(exc, RequestValidationError)
    parts, said = [], []
    for e in exc.errors()[:4]:
        loc = ".".join(str(p) for p in e.get("loc", ()))
        parts.append(f"{loc}: {e.get('msg')}")
        if e.get("type") == REFUSED:  # typed text refused with its own Vietnamese
            said.append(str(e["ctx"]["message"]))
    invalid = MotcuaError(Reason.INVALID, "; ".join(parts), variant="body")
    return JSONResponse(
        {
            "detail": {
                "code": invalid.code,
                "message": "; ".join(said) or invalid.message,
                "message_en": invalid.message_en,
            }
        },
        status_code=422,
    )


def install(app: FastAPI) -> None:
    """Make these the application's translators."""
    app.add_exception_handler(MotcuaError, refusal_response)
    app.add_exception_handler(RequestValidationError, invalid_response)
