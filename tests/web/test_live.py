"""The live stream behind the pages (``/ws/live``): what a reconnecting board gets, and
which page hears which change."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from protocol.link import MqttLink
from server.app import create_app
from server.auth.sessions import SESSION_COOKIE
from server.runtime import ServerRuntime
from tests.support.devices import device_link, request_ticket, started
from tests.support.http import act, login
from tests.support.services import Broker
from tests.support.web import WebServer


@pytest.fixture
def api(web: WebServer) -> Iterator[TestClient]:
    with TestClient(create_app(web.rt)) as client:
        yield client


@pytest.fixture
def kiosk(site_server: ServerRuntime, mosquitto: Broker, tmp_path: Any) -> Iterator[MqttLink]:
    link = started(device_link(site_server.config, mosquitto, "kiosk-1", tmp_path))
    yield link
    link.stop()


def _session(api: TestClient, rt: ServerRuntime, user: str, role: str, clerk: str | None) -> None:
    token = login(api, rt, user, role, clerk)["Authorization"].removeprefix("Bearer ")
    api.cookies.clear()
    api.cookies.set(SESSION_COOKIE, token)


def test_a_board_reconnecting_with_since_gets_every_call_after_it_in_order(
    web: WebServer, api: TestClient, kiosk: MqttLink
) -> None:
    a = request_ticket(kiosk, "tp").ticket
    b = request_ticket(kiosk, "dd").ticket
    assert a and b
    before = datetime.now(UTC)
    clerk = login(api, web.rt, "lan", "clerk", "c01")
    other = login(api, web.rt, "hung", "clerk", "c02")
    act(api, clerk, "q1", "open")
    act(api, other, "q3", "open")
    act(api, clerk, "q1", "call-next")
    time.sleep(0.01)  # not a wait: each call gets a later time than the one before
    act(api, other, "q3", "call-next")
    time.sleep(0.01)  # not a wait: `middle` is after both calls
    middle = datetime.now(UTC)
    act(api, clerk, "q1", "recall")  # a recall is a new call
    _session(api, web.rt, "giamsat", "supervisor", None)
    since = before.isoformat().replace("+00:00", "Z")
    with api.websocket_connect(f"/ws/live?channel=board&since={since}") as ws:
        snap = ws.receive_json()
    missed = [(c["number"], c["desk_id"], c["recall_count"]) for c in snap["missed"]]
    assert missed == [(a.number, "q1", 0), (b.number, "q3", 0), (a.number, "q1", 1)]
    assert len({c["key"] for c in snap["missed"]}) == 3, "each call has its own key"
    latest = {c["desk_id"]: (c["number"], c["recall_count"]) for c in snap["latest"]}
    assert latest == {"q1": (a.number, 1), "q3": (b.number, 0)}
    assert all(c["desk_number"] in (1, 3) for c in snap["latest"])
    since = quote(middle.isoformat())  # "+00:00", encoded as the page's URLSearchParams does
    with api.websocket_connect(f"/ws/live?channel=board&since={since}") as ws:
        assert [c["recall_count"] for c in ws.receive_json()["missed"]] == [1]
    with api.websocket_connect("/ws/live?channel=board") as ws:
        assert ws.receive_json()["missed"] == [], "a first visit announces nothing old"


def test_a_desk_page_hears_its_own_desk_and_queues_only(
    web: WebServer, api: TestClient, kiosk: MqttLink
) -> None:
    request_ticket(kiosk, "tp")
    request_ticket(kiosk, "dd")
    lan = login(api, web.rt, "lan", "clerk", "c01")
    hung = login(api, web.rt, "hung", "clerk", "c02")
    _session(api, web.rt, "lan", "clerk", "c01")
    with api.websocket_connect("/ws/live?channel=desk:q1") as ws:
        snap = ws.receive_json()
        assert snap["desk"]["desk_id"] == "q1" and [q["service"] for q in snap["queues"]] == ["tp"]
        act(api, hung, "q3", "open")  # another desk, another service (dd)
        act(api, hung, "q3", "call-next")
        act(api, lan, "q1", "open")
        seen: list[dict[str, Any]] = []
        while not any(m["type"] == "desk" and m["desk"]["open"] for m in seen):
            assert len(seen) < 50, seen
            seen.append(ws.receive_json())
        act(api, lan, "q1", "call-next")
        while not (
            any(m["type"] == "desk" and m["desk"]["serving"] for m in seen)
            and any(m["type"] == "queue" and m["queue"]["waiting"] == 0 for m in seen)
        ):
            assert len(seen) < 50, seen
            seen.append(ws.receive_json())
    assert {m["type"] for m in seen} <= {"desk", "queue", "stats"}, "no board calls here"
    assert all(m["desk"]["desk_id"] == "q1" for m in seen if m["type"] == "desk")
    assert all(m["queue"]["service"] == "tp" for m in seen if m["type"] == "queue")
