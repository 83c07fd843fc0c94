"""The one translator from refusals to HTTP answers (`server.http.errors`): the status
table agrees with what the domain says today, and every refusal answers the same shape."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import pytest
from starlette.requests import Request

from protocol.errors import MotcuaError
from protocol.refusals import Reason
from server.auth.login import LoginRefused
from server.http.errors import STATUS, ApiRefusal, refusal_response
from server.queue.errors import QueueError
from server.reports.figures import ReportError
from server.reports.period import PeriodError

ROOT = Path(__file__).resolve().parents[2]


def _queue_codes() -> set[str]:
    """Each ``Reason`` a ``QueueError(Reason.X, …)`` raised in server/ names."""
    found: set[str] = set()
    for path in (ROOT / "server").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "QueueError"):
                continue
            code = node.args[0] if node.args else None
            if isinstance(code, ast.Attribute) and getattr(code.value, "id", "") == "Reason":
                found.add(Reason[code.attr].value)
    return found


def test_the_status_table_knows_every_queue_error() -> None:
    """The status left the domain: the table alone answers every queue refusal."""
    found = _queue_codes()
    assert len(found) > 20, "QueueErrors not found: the scan is broken"
    assert not found - set(STATUS), "codes missing from server.http.errors.STATUS"


def _answer(exc: Exception) -> tuple[int, dict[str, str], dict[str, object]]:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    response = asyncio.run(refusal_response(request, exc))
    return response.status_code, dict(response.headers), json.loads(bytes(response.body))


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (QueueError(Reason.UNKNOWN_SERVICE, service="x"), 404),
        (QueueError(Reason.DESK_BUSY), 409),
        (QueueError(Reason.REQUEST_EXPIRED), 409),  # not in the table
        (ReportError(Reason.UNKNOWN_SERVICE, variant="report", value="x"), 422),
        (PeriodError(Reason.BAD_PERIOD, period="x", forms="2026"), 422),
        (ApiRefusal(Reason.UNKNOWN_SITE, site="x"), 404),
        (LoginRefused(Reason.BAD_CREDENTIALS), 401),
    ],
)
def test_every_refusal_answers_the_same_shape(exc: MotcuaError, status: int) -> None:
    got, headers, body = _answer(exc)
    assert got == status
    assert body == {
        "detail": {
            "code": exc.code,
            "message": exc.message,
            "message_en": exc.message_en,
        }
    }
    assert "www-authenticate" not in headers  # only the token check's 401s name a scheme


def test_the_token_checks_401_names_the_scheme_and_a_throttled_log_in_when_to_retry() -> None:
    _, headers, _ = _answer(ApiRefusal(Reason.BAD_TOKEN))
    assert headers["www-authenticate"] == "Bearer"
    status, headers, body = _answer(LoginRefused(Reason.TOO_MANY_ATTEMPTS, retry_after=42))
    assert (status, headers["retry-after"]) == (429, "42")
    assert body["detail"]["message"] == "Đăng nhập sai quá nhiều lần: hãy thử lại sau 42 giây"
    assert body["detail"]["message_en"] == "too many failed log-ins: try again in 42 s"
