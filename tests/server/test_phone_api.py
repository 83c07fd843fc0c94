"""The phone's JSON side (``/t/{id}/state``, ``POST /t/{id}/rating``, ``/ws/ticket/{id}``)
on a running server: every bad input refused with a clear message in both languages,
the rate limits, a replayed form, one rating per ticket whatever the device, the
rating window, and the headers of a page whose address is its key."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from starlette.websockets import WebSocketDisconnect

from protocol.link import MqttLink
from server.app import create_app
from server.db.tables import RatingRow, RejectedMessageRow, TicketRow
from server.queue.changes import Changes
from server.runtime import ServerRuntime
from server.services.phone import THROTTLE_LIMIT
from server.timeutil import now_utc
from server.web.deps import WebContext
from server.web.phone_i18n import PHONE
from tests.support.devices import device_link, rating, started
from tests.support.http import act, login
from tests.support.services import Broker
from tests.support.waiting import eventually

WAIT_S = 30.0


@pytest.fixture
def app(server: ServerRuntime) -> FastAPI:
    return create_app(server)


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def context(app: FastAPI) -> WebContext:
    ctx = app.state.web
    assert isinstance(ctx, WebContext)
    return ctx


@pytest.fixture
def pad(server: ServerRuntime, broker: Broker, tmp_path: Path) -> Iterator[MqttLink]:
    link = started(device_link(server.config, broker, "pad-q1", tmp_path))
    yield link
    link.stop()


def issue(rt: ServerRuntime, service: str = "tp") -> uuid.UUID:
    """A number taken at a kiosk, issued as the gateway does."""
    changes = Changes()
    with rt.db.write() as s:
        ticket = rt.engine.issue(s, service, kiosk_id="kiosk-1", changes=changes)
    rt.publisher.submit(changes)
    return ticket.ticket_id


def served(api: TestClient, rt: ServerRuntime) -> uuid.UUID:
    """A ticket issued, called, served and finished at q1 (by the clerk's API)."""
    tid = issue(rt)
    clerk = login(api, rt, "lan", "clerk", "c01")
    act(api, clerk, "q1", "open")
    for action in ("call-next", "start", "done"):
        r = act(api, clerk, "q1", action)
        assert r.status_code == 200, r.text
    return tid


def post(api: TestClient, tid: uuid.UUID | str, body: Any, **kw: Any) -> httpx.Response:
    return api.post(f"/t/{tid}/rating", json=body, **kw)


def form(level: str = "very_satisfied", **kw: Any) -> dict[str, Any]:
    return {"msg_id": str(uuid.uuid4()), "level": level, **kw}


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, f"expected {status} {code}: {r.status_code} {r.text}"
    body = r.json()
    assert body["ok"] is False and body["code"] == code, body
    assert body["message"] and body["message_en"] and body["message"] != body["message_en"]
    assert "Traceback" not in r.text
    return body


def ratings(rt: ServerRuntime) -> list[RatingRow]:
    with rt.db.read() as s:
        return list(s.scalars(select(RatingRow)))


def test_state_of_a_waiting_ticket_and_the_private_headers(
    api: TestClient, server: ServerRuntime
) -> None:
    issue(server)
    tid = issue(server)
    r = api.get(f"/t/{tid}/state")
    assert r.status_code == 200
    view = r.json()
    assert (view["state"], view["number"], view["people_ahead"]) == ("waiting", "A002", 1)
    assert "A001" not in r.text, "nothing about other citizens"
    for path in (f"/t/{tid}", f"/t/{tid}/state", "/t/nope"):
        h = api.get(path).headers
        assert h["referrer-policy"] == "no-referrer", path
        assert "noindex" in h["x-robots-tag"] and h["cache-control"] == "no-store", path
    page = api.get(f"/t/{tid}")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'self'
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    unknown = api.get(f"/t/{uuid.uuid4()}/state")
    assert unknown.status_code == 200 and unknown.json()["state"] == "pending"
    refused(api.get("/t/A001/state"), 404, "not_found")


def test_a_malformed_id_gets_a_friendly_page_not_json(api: TestClient) -> None:
    for path in ("/t/A001", "/t/' OR 1=1 --", "/t/" + "9" * 300, "/t/abc/def"):
        r = api.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert "Không tìm thấy trang" in r.text and "Page not found" in r.text
        assert "Traceback" not in r.text and "detail" not in r.text


def test_bad_rating_posts_are_refused_with_a_reason(api: TestClient, server: ServerRuntime) -> None:
    tid = served(api, server)
    url = f"/t/{tid}/rating"
    good = json.dumps(form())
    refused(api.post(url, content=good, headers={"Content-Type": "text/plain"}), 415, "wrong_type")
    refused(api.post(url, data={"level": "very_satisfied"}), 415, "wrong_type")  # a form post
    big = json.dumps(form(comment="x" * 9000))
    refused(
        api.post(url, content=big, headers={"Content-Type": "application/json"}), 413, "too_large"
    )
    js = {"Content-Type": "application/json"}
    refused(api.post(url, content=b"{not json", headers=js), 422, "bad_json")
    refused(api.post(url, content=b"\xff\xfe", headers=js), 422, "bad_json")
    refused(api.post(url, content=b"[" * 5000 + b"]" * 5000, headers=js), 413, "too_large")
    refused(post(api, tid, [1, 2]), 422, "invalid")
    refused(post(api, tid, {**form(), "citizen": "Nguyễn Văn A"}), 422, "invalid")
    refused(post(api, tid, form(level="great")), 422, "invalid")
    refused(post(api, tid, {"level": "satisfied"}), 422, "invalid")  # no msg_id
    # what the citizen typed: the page says what to fix, in Vietnamese, no English jargon
    for comment in ("a\x00b", "é" * 501):
        body = refused(post(api, tid, form(comment=comment)), 422, "invalid")
        assert body["message"] == PHONE["err_comment"].vi
    body = refused(post(api, tid, form(level="great")), 422, "invalid")
    assert body["message"] == PHONE["err_invalid"].vi and "level" in body["message_en"]
    refused(post(api, tid, form(praised=["khong_tre_hen"])), 422, "invalid")
    refused(post(api, tid, form("dissatisfied", praised=["xin_chao"])), 422, "invalid")
    refused(post(api, tid, form(reasons=["xin_chao"])), 422, "invalid")
    refused(post(api, tid, form(praised=["xin_chao", "xin_chao"])), 422, "invalid")
    refused(post(api, tid, form(level="neutral")), 422, "bad_level")  # not on a 3-face scale
    refused(post(api, "A001", form()), 404, "not_found")
    refused(post(api, uuid.uuid4(), form()), 404, "pending")
    assert ratings(server) == [], "nothing stored"


def test_a_phone_rating_is_stored_once_with_its_comment(
    api: TestClient, server: ServerRuntime, pad: MqttLink
) -> None:
    tid = served(api, server)
    decomposed = "Cán bộ nhiệt tình".replace("á", "a\u0301")  # NFD from some keyboards
    body = form(praised=["xin_chao", "luon_lang_nghe"], comment=f"  {decomposed}  ")
    r = post(api, tid, body)
    assert r.status_code == 200, r.text
    assert r.json()["replay"] is False and r.json()["ticket"]["rating"]["status"] == "rated"
    [row] = ratings(server)
    assert (row.ticket_id, row.source, row.device_id, row.desk_id) == (tid, "phone", "phone", "q1")
    assert row.comment == "Cán bộ nhiệt tình" and row.praised == ["xin_chao", "luon_lang_nghe"]
    assert abs((row.sent_at - now_utc()).total_seconds()) < 60
    # the same form again (a lost answer, a double tap): the same success, still one row
    again = post(api, tid, body)
    assert again.status_code == 200 and again.json()["replay"] is True
    # another form for the rated ticket: 409, the page shows "already rated"
    refused(post(api, tid, form("dissatisfied")), 409, "already_rated")
    # the pad's rating of the same visit is refused too
    pad.publish_event(pad.topics.desk_rating("q1"), rating("pad-q1", tid))

    def pad_refused() -> bool:
        with server.db.read() as s:
            reasons = list(s.scalars(select(RejectedMessageRow.reason)))
        return "already_rated" in reasons

    eventually(pad_refused, "the pad's rating to be refused", WAIT_S)
    [row] = ratings(server)
    assert row.source == "phone"
    # a used msg_id for another ticket is a conflict, not a success
    other = served(api, server)
    refused(post(api, other, body), 409, "conflict")
    assert api.get(f"/t/{tid}/state").json()["rating"] == {
        "status": "rated",
        "until": None,
        "source": "phone",
    }


def test_a_pad_rating_first_and_the_phone_is_refused(
    api: TestClient, server: ServerRuntime, pad: MqttLink
) -> None:
    tid = served(api, server)
    pad.publish_event(pad.topics.desk_rating("q1"), rating("pad-q1", tid, "satisfied"))
    eventually(lambda: len(ratings(server)) == 1, "the pad's rating to be stored", WAIT_S)
    assert api.get(f"/t/{tid}/state").json()["rating"]["source"] == "pad"
    refused(post(api, tid, form()), 409, "already_rated")
    assert [r.source for r in ratings(server)] == ["pad"]


def test_not_done_and_window_expired(api: TestClient, server: ServerRuntime) -> None:
    waiting = issue(server, "dd")
    refused(post(api, waiting, form()), 409, "not_done")
    tid = served(api, server)
    late = now_utc() - timedelta(minutes=server.config.rating.window_minutes + 1)
    with server.db.write() as s:
        s.execute(update(TicketRow).where(TicketRow.id == tid).values(ended_at=late))
    assert api.get(f"/t/{tid}/state").json()["rating"]["status"] == "expired"
    refused(post(api, tid, form()), 410, "window_expired")
    assert ratings(server) == []


def test_rating_posts_are_limited_per_address_and_per_ticket(
    server: ServerRuntime, app: FastAPI, api: TestClient
) -> None:
    tid = served(api, server)
    second = served(api, server)
    for _ in range(THROTTLE_LIMIT):
        assert post(api, tid, {"msg_id": "x"}).status_code == 422  # bad posts count too
    r = refused(post(api, tid, form()), 429, "too_many")
    limited = post(api, tid, form())
    assert int(limited.headers["retry-after"]) > 0
    assert str(limited.headers["retry-after"]) in r["message"]
    refused(post(api, second, form()), 429, "too_many")  # this address: any ticket
    other = TestClient(app, client=("10.0.0.9", 5000))  # another phone
    refused(post(other, tid, form()), 429, "too_many")  # this ticket: any address
    assert post(other, second, form()).status_code == 200
    assert [r.ticket_id for r in ratings(server)] == [second]


def test_the_socket_refuses_a_malformed_id_and_another_site(
    api: TestClient, server: ServerRuntime
) -> None:
    tid = issue(server)
    with api.websocket_connect(f"/ws/ticket/{tid}") as ws:
        first = ws.receive_json()
    assert first["type"] == "ticket" and first["ticket"]["state"] == "waiting"
    with api.websocket_connect("/ws/ticket/A001") as ws, pytest.raises(WebSocketDisconnect) as e:
        ws.receive_json()
    assert e.value.code == 1008 and "malformed" in e.value.reason
    evil = {"Origin": "https://evil.example"}
    with (
        api.websocket_connect(f"/ws/ticket/{tid}", headers=evil) as ws,
        pytest.raises(WebSocketDisconnect) as e,
    ):
        ws.receive_json()
    assert e.value.code == 1008 and "cross-site" in e.value.reason


def test_sockets_per_ticket_are_bounded(
    app: FastAPI, api: TestClient, server: ServerRuntime
) -> None:
    tid = issue(server)
    limit = context(app).phone_hub.max_per_ticket
    opened = [api.websocket_connect(f"/ws/ticket/{tid}") for _ in range(limit)]
    try:
        for ws in opened:
            ws.__enter__()
            assert ws.receive_json()["type"] == "ticket"
        with (
            api.websocket_connect(f"/ws/ticket/{tid}") as ws,
            pytest.raises(WebSocketDisconnect) as e,
        ):
            ws.receive_json()
        assert e.value.code == 1013
    finally:
        for ws in opened:
            ws.__exit__(None, None, None)
    with api.websocket_connect(f"/ws/ticket/{tid}") as ws:  # a place again once they left
        assert ws.receive_json()["type"] == "ticket"


def test_a_transferred_visit_is_followed_and_rated_where_it_ended(
    api: TestClient, server: ServerRuntime
) -> None:
    tid = issue(server)
    lan = login(api, server, "lan", "clerk", "c01")
    act(api, lan, "q1", "open")
    for action in ("call-next", "start"):
        assert act(api, lan, "q1", action).status_code == 200
    assert act(api, lan, "q1", "transfer", service="dd").status_code == 200
    view = api.get(f"/t/{tid}/state").json()
    assert (view["state"], view["service"], view["transferred_from_service"]) == (
        "waiting",
        "dd",
        "tp",
    )
    assert view["people_ahead"] == 0 and view["ticket_id"] == str(tid)
    new = uuid.UUID(view["current_id"])
    assert new != tid
    refused(post(api, tid, form()), 409, "not_done")
    hung = login(api, server, "hung", "clerk", "c02")
    act(api, hung, "q3", "open")
    for action in ("call-next", "start", "done"):
        assert act(api, hung, "q3", action).status_code == 200
    assert post(api, tid, form()).status_code == 200
    [row] = ratings(server)
    assert (row.ticket_id, row.desk_id, row.service) == (new, "q3", "dd")


def test_the_phone_wording_is_complete_in_both_languages() -> None:
    """Every key the page's script and template use exists, in both languages, NFC."""
    web = Path(__file__).resolve().parents[2] / "server" / "web"
    script = (web / "static" / "phone.js").read_text(encoding="utf-8")
    page = (web / "templates" / "ticket.html").read_text(encoding="utf-8")
    used = set(re.findall(r"\bP\.([a-z_]+)", script)) | set(re.findall(r"\bp\.([a-z_]+)", page))
    assert len(used) > 20
    assert not used - set(PHONE), sorted(used - set(PHONE))
    for key, (vi, en) in PHONE.items():
        assert vi.strip() and en.strip() and vi != en, key
        assert unicodedata.normalize("NFC", vi) == vi and unicodedata.normalize("NFC", en) == en
