"""``/api/health`` and the dashboard report the server's broker link as it is.

The old health said "ok" as long as a TCP connection existed, while the broker had
dropped the server's subscriptions and no kiosk got an answer. Now:

* a session kicked off the broker shows as a counted disconnect with its reason, and
  the server comes back on its own;
* a broker that stops delivering (frozen; or subscriptions gone behind the server's
  back) is caught by the server's heartbeat to itself: health turns 503, the link
  subscribes again;
* while the link is down, devices are "unknown", not "online", in the API and on the
  dashboard, and the dashboard says why.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import ClientConnection

from server.app import create_app
from server.config import SiteConfig
from server.link_watch import LinkReport
from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.devices import device_link, request_ticket, started
from tests.support.raw_mqtt import raw_connect
from tests.support.services import MosquittoBroker, sqlite_url
from tests.support.waiting import eventually
from tests.support.web import serve_http

WAIT_S = 30.0


@pytest.fixture
def rt(site: SiteConfig, mosquitto: MosquittoBroker, tmp_path: Path) -> Iterator[ServerRuntime]:
    runtime = make_runtime(site, sqlite_url(tmp_path), mosquitto)
    try:
        yield runtime
    finally:
        runtime.stop()


@pytest.fixture
def api(rt: ServerRuntime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as client:
        yield client


def health(api: TestClient) -> tuple[int, dict[str, Any]]:
    r = api.get("/api/health")
    return r.status_code, r.json()


def test_health_names_each_part_when_all_is_well(api: TestClient, rt: ServerRuntime) -> None:
    _, body = eventually(lambda: (h := health(api))[0] == 200 and h, "health ok")
    assert body["status"] == "ok" and body["problems"] == []
    assert body["broker_link"]["state"] == "ok"
    assert body["broker_link"]["connected"] is True
    assert body["broker_link"]["heartbeat_age_s"] is not None
    assert body["broker"] == {"kind": "external", "running": None, "restarts": 0, "last_exit": None}
    assert body["boot_id"] == str(rt.boot_id)


def test_a_kicked_session_is_reported_and_the_server_comes_back(
    api: TestClient, rt: ServerRuntime, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """Someone logs in with the server's own account (a leaked password, a copied
    config): the broker drops the server's session. Health counts it and says why; the
    server reconnects (dropping the intruder) and answers kiosks again."""
    site = rt.config
    kiosk = started(device_link(site, mosquitto, "kiosk-1", tmp_path))
    try:
        intruder = raw_connect(
            mosquitto.host, mosquitto.port, "x", "server", mosquitto.server_password
        )
        assert intruder.connack == 0
        _, body = eventually(
            lambda: (h := health(api))[1]["broker_link"]["disconnects"] >= 1 and h,
            "health counts the lost session",
        )
        assert body["broker_link"]["last_disconnect_reason"]
        assert body["broker_link"]["last_disconnect_at"]
        assert intruder.closed_by_broker(WAIT_S), "the server took its session back"
        eventually(lambda: health(api)[0] == 200, "health ok again")
        resp = request_ticket(kiosk, "tp", timeout=WAIT_S)
        assert resp.ok and resp.ticket is not None
    finally:
        kiosk.stop()


def test_lost_subscriptions_are_noticed_and_taken_again(
    api: TestClient, rt: ServerRuntime, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """The broker forgets the server's subscriptions but keeps its connection (what
    amqtt did after a client-id takeover). The heartbeat stops coming back: the link
    reports it, subscribes again, and kiosks get answers."""
    states: list[str] = []
    rt.link_listeners.append(lambda r: states.append(r.state))
    assert rt.link is not None
    filters = list(rt.link.connection.subs)
    rt.link.client.unsubscribe(filters)  # behind the link's back, as a broker might
    eventually(lambda: "subscriptions_lost" in states, "the link to notice")
    eventually(lambda: states[-1] == "ok", "the link to subscribe again")
    kiosk = started(device_link(rt.config, mosquitto, "kiosk-1", tmp_path))
    try:
        resp = request_ticket(kiosk, "tp", timeout=WAIT_S)
        assert resp.ok and resp.ticket is not None
    finally:
        kiosk.stop()
    assert health(api)[0] == 200


def test_a_frozen_broker_turns_health_red_until_it_thaws(
    api: TestClient, rt: ServerRuntime, mosquitto: MosquittoBroker
) -> None:
    """A hung broker keeps its TCP connections open: only the self-check can tell."""
    assert mosquitto.proc is not None
    os.kill(mosquitto.proc.pid, signal.SIGSTOP)
    try:
        _, body = eventually(
            lambda: (h := health(api))[0] == 503 and h, "health to notice the frozen broker"
        )
        assert body["broker_link"]["state"] == "subscriptions_lost"
        assert body["broker_link"]["connected"] is True  # TCP alone says nothing
        codes = [p["code"] for p in body["problems"]]
        assert codes == ["link_subscriptions_lost"]
    finally:
        os.kill(mosquitto.proc.pid, signal.SIGCONT)
    eventually(lambda: health(api)[0] == 200, "health ok once the broker thaws")


def next_message(ws: ClientConnection, predicate: Callable[[dict[str, Any]], bool]) -> Any:
    """The next message of the live stream for which ``predicate`` holds."""

    def next_match() -> Any:
        message = json.loads(ws.recv(timeout=0.2))  # a timeout: not yet
        return message if predicate(message) else None

    return eventually(next_match, "the expected message on the dashboard", WAIT_S, interval=0)


def test_devices_are_unknown_while_the_servers_link_is_down(
    rt: ServerRuntime, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """kiosk-1 is online. The broker goes away: the API and the dashboard stop calling
    it online (its Last Will could not reach us) and the dashboard says why. The broker
    comes back: kiosk-1 is online again."""
    site = rt.config
    kiosk = started(device_link(site, mosquitto, "kiosk-1", tmp_path))
    with serve_http(rt) as web:
        boss = {"Authorization": f"Bearer {web.token('giamsat', timedelta(hours=1))}"}

        def devices() -> dict[str, str]:
            r = httpx.get(f"{web.url}/api/sites/{site.site.code}/devices", headers=boss)
            return {d["id"]: d["status"] for d in r.json()}

        try:
            eventually(lambda: devices()["kiosk-1"] == "online", "kiosk-1 online")
            assert devices()["pad-q1"] == "never_seen"
            page = web.live(web.token("giamsat", timedelta(hours=1)), "dashboard")
            try:
                mosquitto.stop()
                eventually(lambda: set(devices().values()) == {"unknown"}, "every device unknown")
                server = next_message(page, lambda m: m["type"] == "server")["server"]
                assert server["presence_known"] is False
                assert [p["code"] for p in server["problems"]] == ["link_disconnected"]
                assert "trạng thái thiết bị không rõ" in server["problems"][0]["vi"]
                rows = next_message(page, lambda m: m["type"] == "devices")["devices"]
                assert {d["status"] for d in rows} == {"unknown"}
                mosquitto.start()
                eventually(lambda: devices()["kiosk-1"] == "online", "kiosk-1 online again")
                next_message(
                    page, lambda m: m["type"] == "server" and m["server"]["problems"] == []
                )
            finally:
                page.close()
        finally:
            kiosk.stop()


def test_link_report_reads_as_a_sentence() -> None:
    report = LinkReport(
        state="disconnected",
        connected=False,
        connected_since=None,
        disconnects=2,
        last_disconnect_at=None,
        last_disconnect_reason="Unspecified error",
        heartbeat_age_s=None,
        takeover_attempts=0,
        last_takeover=None,
        problem="no connection to the broker (Unspecified error)",
    )
    assert not report.ok
    assert report.as_json()["problem"] == "no connection to the broker (Unspecified error)"
