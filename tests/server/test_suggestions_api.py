"""The suggestion box over HTTP (issue 14): a citizen's post to ``/gop-y`` (no log-in:
every bad input refused with Vietnamese and English words, the rate limit), the
supervisors' API (roles, CSRF, handled once), the live event, and the period counts
the reports use. A real server runtime (Mosquitto + SQLite; PostgreSQL too with
``--matrix``)."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import qrcode
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from server.auth.ratelimit import Throttle
from server.auth.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_token
from server.db.tables import SuggestionRow
from server.readmodels.suggestions import SuggestionView, suggestion_counts, suggestion_views
from server.runtime import ServerRuntime
from server.web import suggest_i18n
from server.web.deps import WebContext
from server.web.qr import QUIET, qr_svg
from server.web.routes.suggestions import suggestion_url
from tests.support.http import login

SITE = "gialoc"
LIST = f"/api/sites/{SITE}/suggestions"
VI_TEXT = "Cán bộ quầy 2 hướng dẫn rất tận tình, nhưng phòng chờ hơi nóng."


def pages(api: TestClient) -> WebContext:
    """The pages' parts of the app under test."""
    context = api.app.state.web
    assert isinstance(context, WebContext)
    return context


@pytest.fixture
def citizen(api: TestClient) -> TestClient:
    """The API with a rate limit that does not get in the way of many posts."""
    pages(api).suggestions.throttle = Throttle(10_000, 60)
    return api


def post(api: TestClient, body: Any, **kw: Any) -> Any:
    return api.post(
        "/gop-y", content=json.dumps(body), headers={"Content-Type": "application/json"}, **kw
    )


def rows(rt: ServerRuntime) -> list[SuggestionRow]:
    with rt.db.read() as s:
        return list(s.scalars(select(SuggestionRow).order_by(SuggestionRow.received_at)))


def refused(r: Any, status: int, code: str) -> dict[str, str]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    detail: dict[str, str] = r.json()["detail"]
    assert detail["code"] == code
    assert detail["message"] and detail["message_en"] and detail["message"] != detail["message_en"]
    return detail


# ----------------------------------------------------------------------------- citizens


def test_a_suggestion_is_stored_as_nfc_trimmed_text_on_its_local_day(
    citizen: TestClient, server: ServerRuntime
) -> None:
    typed = unicodedata.normalize("NFD", f"  {VI_TEXT}\r\nDòng hai.  ")
    r = post(citizen, {"text": typed, "service": "tp", "contact": None})
    assert r.status_code == 201, r.text
    assert r.json()["contact"] is False and set(r.json()) == {"id", "contact"}
    r2 = post(citizen, {"text": "Xin thêm ghế chờ", "contact": "  0912 345 678 "})
    assert r2.status_code == 201 and r2.json()["contact"] is True
    r3 = post(citizen, {"text": "Không ghi liên hệ", "service": "", "contact": "   "})
    assert r3.status_code == 201 and r3.json()["contact"] is False
    first, second, third = rows(server)
    assert first.text == f"{VI_TEXT}\nDòng hai." and unicodedata.is_normalized("NFC", first.text)
    assert first.service == "tp" and first.contact is None and first.handled_at is None
    assert first.day == datetime.now(UTC).astimezone(server.config.tz).date()
    assert str(first.id) == r.json()["id"]
    assert second.contact == "0912 345 678" and second.service is None
    assert third.contact is None and third.service is None, "a contact only when one is typed"


LONG = "a" * 2001
BAD_BODIES = [
    ({"text": ""}, "invalid", "Hãy ghi nội dung góp ý"),
    ({"text": "  ab  "}, "invalid", "ít nhất 3"),
    ({"text": LONG}, "invalid", "dài quá 2000"),
    ({"text": "xin chào\x00"}, "invalid", "không in được"),
    ({"text": "xin \x1b[31mchào"}, "invalid", "không in được"),
    ({"text": "tab\tkhông được"}, "invalid", "không in được"),
    ({"text": "đảo chiều \u202egnoc"}, "invalid", "không in được"),
    ({"text": "dịch vụ lạ", "service": "xx"}, "unknown_service", "Không có lĩnh vực “xx”"),
    ({"text": "liên hệ dài", "contact": "9" * 201}, "invalid", "dài quá 200"),
    ({"text": "liên hệ 2 dòng", "contact": "09\n12"}, "invalid", "không in được"),
    ({"text": 123}, "invalid", "không hợp lệ"),
    ({"text": "trường lạ", "name": "Nguyễn Văn A"}, "invalid", "không hợp lệ"),
    ({}, "invalid", "không hợp lệ"),
    (["xin chào"], "invalid", "không hợp lệ"),
]


@pytest.mark.parametrize(("body", "code", "words"), BAD_BODIES)
def test_bad_input_is_refused_with_words_for_the_page(
    citizen: TestClient, server: ServerRuntime, body: Any, code: str, words: str
) -> None:
    detail = refused(post(citizen, body), 422, code)
    assert words in detail["message"]
    assert rows(server) == []


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b'{"text": "xin ch', {"Content-Type": "application/json"}, 422, "invalid"),
        (b"\xff\xfe not utf-8", {"Content-Type": "application/json"}, 422, "invalid"),
        (b"[" * 30_000, {"Content-Type": "application/json"}, 422, "invalid"),
        (
            b"text=xin+chao",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "content_type",
        ),
        ('{"text": "xin chào"}'.encode(), {"Content-Type": "text/plain"}, 415, "content_type"),
        ('{"text": "xin chào"}'.encode(), {}, 415, "content_type"),
        (
            json.dumps({"text": "x" * 40_000}).encode(),
            {"Content-Type": "application/json"},
            413,
            "too_large",
        ),
    ],
)
def test_malformed_wrongly_typed_and_oversized_bodies_are_refused(
    citizen: TestClient,
    server: ServerRuntime,
    content: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    refused(citizen.post("/gop-y", content=content, headers=headers), status, code)
    assert rows(server) == []


def test_an_oversized_body_without_a_length_is_cut_off(
    citizen: TestClient, server: ServerRuntime
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    r = citizen.post("/gop-y", content=chunks(), headers={"Content-Type": "application/json"})
    refused(r, 413, "too_large")
    assert rows(server) == []


def test_posts_are_rate_limited_per_client_address(api: TestClient, server: ServerRuntime) -> None:
    for i in range(5):
        assert post(api, {"text": f"Góp ý số {i}"}).status_code == 201
    r = post(api, {"text": "Góp ý số 6"})
    detail = refused(r, 429, "too_many_attempts")
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= 600 and f"{wait} giây" in detail["message"]
    assert len(rows(server)) == 5


def test_the_form_page_is_public_and_its_qr_code_draws_the_address(
    api: TestClient, server: ServerRuntime
) -> None:
    page = api.get("/gop-y")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "Không bắt buộc — chỉ ghi nếu ông/bà muốn được trả lời" in page.text
    api.cookies.set("motcua_lang", "en")
    assert "Optional — only if you want an answer" in api.get("/gop-y").text
    svg = api.get("/gop-y/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    # the drawn modules are exactly the code's: read the runs back from the path
    drawn = set()
    for x, y, w in re.findall(r"M(\d+),(\d+)h(\d+)", svg.text):
        drawn |= {(int(y) - QUIET, int(x) - QUIET + i) for i in range(int(w))}
    url = suggestion_url(pages(api).config)
    assert url.endswith("/gop-y") and url.startswith("http")
    assert svg.text == qr_svg(url)
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    assert drawn == {(y, x) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}


# ----------------------------------------------------------------------------- supervisors


def _one(api: TestClient, text: str = VI_TEXT, **extra: Any) -> str:
    r = post(api, {"text": text, **extra})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("clerk", 403), ("board", 403)])
def test_only_supervisors_and_admins_read_or_handle_suggestions(
    citizen: TestClient, server: ServerRuntime, role: str | None, status: int
) -> None:
    sid = _one(citizen, contact="0912 345 678")
    headers = (
        login(citizen, server, f"u-{role}", role, "c01" if role == "clerk" else None)
        if role
        else {}
    )
    assert citizen.get(LIST, headers=headers).status_code == status
    r = citizen.post(f"{LIST}/{sid}/handled", json={"note": "đã gọi lại"}, headers=headers)
    assert r.status_code == status
    assert rows(server)[0].handled_at is None
    for who in ("supervisor", "admin"):
        ok = login(citizen, server, f"u-{who}", who)
        assert citizen.get(LIST, headers=ok).json()["suggestions"][0]["contact"] == "0912 345 678"


def test_a_supervisor_marks_a_suggestion_handled_once(
    citizen: TestClient, server: ServerRuntime
) -> None:
    sid = _one(citizen, service="tp")
    other = _one(citizen, "Góp ý thứ hai")
    boss = login(citizen, server, "giamsat", "supervisor")
    listed = citizen.get(LIST, headers=boss).json()
    assert listed["open"] == 2 and [g["id"] for g in listed["suggestions"]] == [sid, other]
    assert listed["suggestions"][0]["service_name"] == server.config.service_by_code["tp"].name
    refused(
        citizen.post(f"{LIST}/{sid}/handled", json={"note": "  "}, headers=boss), 422, "invalid"
    )
    refused(
        citizen.post(f"{LIST}/{sid}/handled", json={"note": "x\x07"}, headers=boss), 422, "invalid"
    )
    assert citizen.post(f"{LIST}/{sid}/handled", json={}, headers=boss).status_code == 422
    r = citizen.post(f"{LIST}/{sid}/handled", json={"note": " Đã mở thêm quạt. "}, headers=boss)
    assert r.status_code == 200, r.text
    assert r.json()["handled_by"] == "giamsat" and r.json()["handled_note"] == "Đã mở thêm quạt."
    again = refused(
        citizen.post(f"{LIST}/{sid}/handled", json={"note": "lần hai"}, headers=boss),
        409,
        "conflict",
    )
    assert "giamsat" in again["message"] and "đã được xử lý" in again["message"]
    row = next(g for g in rows(server) if str(g.id) == sid)
    assert row.handled_note == "Đã mở thêm quạt." and row.handled_by == "giamsat"
    assert row.handled_at is not None and datetime.now(UTC) - row.handled_at < timedelta(minutes=1)
    refused(
        citizen.post(f"{LIST}/{uuid.uuid4()}/handled", json={"note": "?"}, headers=boss),
        404,
        "not_found",
    )
    assert (
        citizen.post(f"{LIST}/not-a-uuid/handled", json={"note": "?"}, headers=boss).status_code
        == 422
    )
    assert (
        citizen.post(
            f"/api/sites/other/suggestions/{other}/handled", json={"note": "?"}, headers=boss
        ).status_code
        == 404
    )
    lists = {
        s: citizen.get(LIST, params={"state": s}, headers=boss).json()
        for s in ("open", "handled", "all")
    }
    assert [g["id"] for g in lists["open"]["suggestions"]] == [other]
    assert [g["id"] for g in lists["handled"]["suggestions"]] == [sid]
    assert [g["id"] for g in lists["all"]["suggestions"]] == [other, sid], "newest first"
    assert lists["all"]["open"] == 1
    assert (
        len(
            citizen.get(LIST, params={"state": "all", "limit": 1}, headers=boss).json()[
                "suggestions"
            ]
        )
        == 1
    )
    assert citizen.get(LIST, params={"state": "closed"}, headers=boss).status_code == 422
    assert citizen.get(LIST, params={"limit": 501}, headers=boss).status_code == 422


def test_a_browser_session_needs_the_csrf_header_to_mark_handled(
    citizen: TestClient, server: ServerRuntime
) -> None:
    sid = _one(citizen)
    token = login(citizen, server, "giamsat", "supervisor")["Authorization"].removeprefix("Bearer ")
    citizen.cookies.set(SESSION_COOKIE, token)
    url = f"{LIST}/{sid}/handled"
    refused(citizen.post(url, json={"note": "đã xử lý"}), 403, "csrf")
    r = citizen.post(url, json={"note": "đã xử lý"}, headers={CSRF_HEADER: csrf_token(token)})
    assert r.status_code == 200, r.text


def test_the_dashboard_stream_carries_suggestions_and_the_board_does_not(
    citizen: TestClient, server: ServerRuntime
) -> None:
    before = _one(citizen, "Đã có từ trước")
    token = login(citizen, server, "giamsat", "supervisor")["Authorization"].removeprefix("Bearer ")
    citizen.cookies.set(SESSION_COOKIE, token)
    with citizen.websocket_connect("/ws/live?channel=dashboard") as ws:
        snap = ws.receive_json()
        assert [g["id"] for g in snap["suggestions"]] == [before] and snap["suggestions_open"] == 1
        sid = _one(citizen, "<b>mới</b>")
        while (m := ws.receive_json())["type"] != "suggestion":
            pass
        assert m["suggestion"]["id"] == sid and m["suggestion"]["text"] == "<b>mới</b>"
        r = citizen.post(
            f"{LIST}/{sid}/handled", json={"note": "ok"}, headers={CSRF_HEADER: csrf_token(token)}
        )
        assert r.status_code == 200
        while (m := ws.receive_json())["type"] != "suggestion":
            pass
        assert m["suggestion"]["id"] == sid and m["suggestion"]["handled_by"] == "giamsat"
    hub = pages(citizen).live
    event = hub.event(_view(server, sid))
    assert event is not None and event["type"] == "suggestion"
    assert hub._wants("dashboard", event) and not hub._wants("board", event)
    assert not hub._wants("desk:q1", event)


def _view(rt: ServerRuntime, sid: str) -> SuggestionView:
    with rt.db.read() as s:
        return next(v for v in suggestion_views(s, rt.config, "all") if str(v.id) == sid)


# ----------------------------------------------------------------------------- counts


def test_counts_of_a_period_by_the_day_received_and_the_service(server: ServerRuntime) -> None:
    site = server.config.site.code
    now = datetime.now(UTC)
    # (day, service, handled)
    made = [
        (date(2026, 3, 31), "tp", True),  # before the period
        (date(2026, 4, 1), "tp", True),
        (date(2026, 4, 1), "tp", False),
        (date(2026, 4, 15), None, False),
        (date(2026, 4, 30), "dd", True),
        (date(2026, 5, 1), "dd", False),  # after it
    ]
    with server.db.write() as s:
        s.execute(delete(SuggestionRow))
        for day, service, handled in made:
            s.add(
                SuggestionRow(
                    id=uuid.uuid4(),
                    site=site,
                    day=day,
                    received_at=now,
                    text="góp ý",
                    service=service,
                    handled_at=now if handled else None,
                    handled_by="giamsat" if handled else None,
                    handled_note="xong" if handled else None,
                )
            )
        s.add(
            SuggestionRow(
                id=uuid.uuid4(), site="other", day=date(2026, 4, 2), received_at=now, text="x"
            )
        )
    with server.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SuggestionRow)) == 7
        april = (date(2026, 4, 1), date(2026, 4, 30))
        assert suggestion_counts(s, site, *april) == {"received": 4, "handled": 2, "open": 2}
        assert suggestion_counts(s, site, *april, service="tp") == {
            "received": 2,
            "handled": 1,
            "open": 1,
        }
        assert suggestion_counts(s, site, *april, service="dd") == {
            "received": 1,
            "handled": 1,
            "open": 0,
        }
        one_day = (date(2026, 4, 1), date(2026, 4, 1))
        assert suggestion_counts(s, site, *one_day) == {"received": 2, "handled": 1, "open": 1}
        assert suggestion_counts(s, site, date(2027, 1, 1), date(2027, 1, 31)) == {
            "received": 0,
            "handled": 0,
            "open": 0,
        }


# ----------------------------------------------------------------------------- wording


def test_the_suggestion_box_wording_is_complete_in_both_languages() -> None:
    web = Path(__file__).resolve().parents[2] / "server" / "web"
    for key, (vi, en) in suggest_i18n.STRINGS.items():
        assert vi.strip() and en.strip() and vi != en, key
        assert unicodedata.is_normalized("NFC", vi) and unicodedata.is_normalized("NFC", en), key
    template = (web / "templates" / "suggestion.html").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bs\(\s*["']([a-z_]+)["']""", template))
    assert used and used <= set(suggest_i18n.STRINGS), used - set(suggest_i18n.STRINGS)
    script = (web / "static" / "suggest.js").read_text(encoding="utf-8")
    used = set(re.findall(r"\bW\.([a-z_]+)", script))
    assert used and used <= set(suggest_i18n.JS_KEYS), used - set(suggest_i18n.JS_KEYS)
    assert set(suggest_i18n.JS_KEYS) <= set(suggest_i18n.STRINGS)
