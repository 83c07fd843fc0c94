"""The JSON API of a running server (issue 2, "HTTP"): health, queues, log-in and roles,
a desk driven end to end by a clerk, stats per day, devices and refused messages.

Each test gets its own server runtime on a real Mosquitto (as production runs it; as the
one-box server starts it where the broker's shape matters) and a fresh SQLite database;
the desk-driving flow also runs on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from protocol.messages import DeviceHealth, IssuedTicket
from protocol.version import VERSION
from server.app import create_app
from server.config import SiteConfig
from server.db.tables import ApiTokenRow, UserRow
from server.queue.changes import Changes
from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.devices import device_link, request_ticket, started
from tests.support.http import PASSWORD, act, login
from tests.support.services import (
    Broker,
    create_pg_database,
    sqlite_url,
    start_broker,
)
from tests.support.waiting import eventually

SITE = "gialoc"
WAIT_S = 30.0
T = TypeVar("T")

# ----------------------------------------------------------------------------- fixtures
# These override the conftest ones: one broker and one database per test by default
# (Mosquitto + SQLite); tests that need more parametrize them indirectly.


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        yield sqlite_url(tmp_path)
        return
    pg = create_pg_database()
    try:
        yield pg.url
    finally:
        pg.drop()


@pytest.fixture
def broker(request: pytest.FixtureRequest, site: SiteConfig, tmp_path: Path) -> Iterator[Broker]:
    b = start_broker(getattr(request, "param", "mosquitto"), site, tmp_path)
    try:
        yield b
    finally:
        b.stop()


BOTH_DATABASES = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
BOTH_BROKERS = pytest.mark.parametrize("broker", ["mosquitto", "embedded"], indirect=True)

# ----------------------------------------------------------------------------- helpers


def _issue(rt: ServerRuntime, service: str, priority: str | None = None) -> IssuedTicket:
    """A number taken at a kiosk, issued by the engine as the gateway does."""
    changes = Changes()
    with rt.db.write() as s:
        ticket = rt.engine.issue(s, service, priority, kiosk_id="kiosk-1", changes=changes)
    rt.publisher.submit(changes)
    return ticket


def _ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, f"{r.status_code} {r.text}"
    return r.json()


def _refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error body of a refused call: a Vietnamese message and an English one."""
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code} {r.text}"
    detail = r.json()["detail"]
    assert detail["code"] == code, detail
    assert detail["message"] and detail["message_en"], detail
    return detail


def _queues(api: TestClient) -> dict[str, dict[str, Any]]:
    return {q["service"]: q for q in _ok(api.get(f"/api/sites/{SITE}/queues"))}


def _devices(api: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in _ok(api.get(f"/api/sites/{SITE}/devices", headers=headers))}


# ----------------------------------------------------------------------------- health


def test_health_is_ok_with_the_documented_fields(api: TestClient) -> None:
    body = _ok(api.get("/api/health"))
    assert body["status"] == "ok"
    assert body["version"] == VERSION
    assert body["site"] == SITE
    assert body["database"] == "ok"
    assert body["mqtt"] == "connected"
    assert body["broker"]["kind"] == "external"  # the test broker is not the runtime's own
    assert set(body["gateway"]) == {"processed", "rejected", "queued", "last_error"}
    assert body["gateway"]["last_error"] is None
    assert body["ingest"]["state"] == "ok" and body["ingest"]["reason"]
    assert body["uptime_s"] >= 0


def test_health_turns_degraded_when_the_broker_is_gone(api: TestClient, broker: Broker) -> None:
    broker.stop()

    def degraded() -> dict[str, Any] | None:
        r = api.get("/api/health")
        return r.json() if r.status_code == 503 else None

    body = eventually(degraded, "health reports the lost broker")
    assert body["status"] == "degraded"
    assert body["mqtt"] == "disconnected"
    assert body["database"] == "ok"


def test_api_is_described_by_openapi_and_its_page_works_offline(api: TestClient) -> None:
    index = _ok(api.get("/"))
    assert index["site"] == SITE and index["health"] == "/api/health"
    paths = _ok(api.get("/openapi.json"))["paths"]
    for path in (
        "/api/health",
        "/api/sites/{site}/queues",
        "/api/sites/{site}/desks/stats",
        "/api/sites/{site}/desks/{desk_id}/{action}",
        "/api/login",
    ):
        assert path in paths, path
    page = api.get("/docs")
    assert page.status_code == 200
    # Sites run without internet (DESIGN.md: "no CDN"): the page must not load its
    # scripts or styles from elsewhere.
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", page.text)
    assert external == [], f"/docs loads from the internet: {external}"


# ----------------------------------------------------------------------------- queues


def test_queues_list_every_service_with_waiting_counts(
    api: TestClient, server: ServerRuntime
) -> None:
    before = _queues(api)  # public: no log-in needed
    assert list(before) == [s.code for s in server.config.services]
    assert before["tp"]["name"] == "Tư pháp – Hộ tịch"
    assert all(q["waiting"] == 0 and q["next_numbers"] == [] for q in before.values())

    for service, priority in [("tp", None), ("tp", None), ("tp", "nguoi_cao_tuoi"), ("dd", None)]:
        _issue(server, service, priority)
    after = _queues(api)
    assert (after["tp"]["waiting"], after["tp"]["waiting_priority"]) == (3, 1)
    assert after["tp"]["next_numbers"] == ["A003", "A001", "A002"]  # priority first
    assert (after["dd"]["waiting"], after["dd"]["next_numbers"]) == (1, ["B001"])
    assert all(after[c]["waiting"] == 0 for c in ("ldtbxh", "dkkd", "xd", "tckh"))
    assert after["tp"]["longest_wait_s"] is not None


def test_a_ticket_from_a_kiosk_shows_in_the_queue(
    api: TestClient, server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    kiosk = started(device_link(server.config, broker, "kiosk-1", tmp_path))
    try:
        resp = request_ticket(kiosk, "xd")
    finally:
        kiosk.stop()
    assert resp.ok and resp.ticket is not None and resp.ticket.number == "E001"
    assert _queues(api)["xd"]["next_numbers"] == ["E001"]


# ----------------------------------------------------------------------------- log-in


def test_no_account_exists_by_default_and_a_wrong_password_is_refused(
    api: TestClient, server: ServerRuntime
) -> None:
    with server.db.read() as s:
        assert s.scalar(select(func.count()).select_from(UserRow)) == 0
    for username, password in [("admin", "admin"), ("admin", "123456"), ("root", "password")]:
        detail = _refused(
            api.post("/api/login", json={"username": username, "password": password}),
            401,
            "bad_credentials",
        )
        assert detail["message"] == "Sai tên đăng nhập hoặc mật khẩu"

    login(api, server, "admin", "admin")  # made the way `motcua user add` does
    wrong = api.post("/api/login", json={"username": "admin", "password": PASSWORD + "x"})
    assert _refused(wrong, 401, "bad_credentials")["message"] == "Sai tên đăng nhập hoặc mật khẩu"
    good = _ok(api.post("/api/login", json={"username": "admin", "password": PASSWORD}))
    assert good["role"] == "admin" and good["clerk_id"] is None
    expires = datetime.fromisoformat(good["expires_at"])
    assert timedelta(hours=1) < expires - datetime.now(UTC) <= timedelta(hours=12, minutes=1)
    with server.db.read() as s:  # only a digest of the token is kept
        assert s.scalar(select(ApiTokenRow.token_hash)) != good["token"]
        stored = s.scalar(select(UserRow.password_hash).where(UserRow.username == "admin"))
    assert stored is not None and stored.startswith("$argon2") and PASSWORD not in stored


def test_reading_without_logging_in_is_refused(api: TestClient) -> None:
    r = api.get(f"/api/sites/{SITE}/desks/stats")
    detail = _refused(r, 401, "not_logged_in")
    assert detail["message"] == "Cần đăng nhập"
    assert r.headers["www-authenticate"] == "Bearer"
    bogus = {"Authorization": "Bearer khong-phai-token"}
    _refused(api.get(f"/api/sites/{SITE}/devices", headers=bogus), 401, "bad_token")
    _refused(act(api, {}, "q1", "open"), 401, "not_logged_in")


def test_logout_revokes_the_token_and_expired_tokens_are_refused(
    api: TestClient, server: ServerRuntime
) -> None:
    boss = login(api, server, "giamsat", "supervisor")
    stats = f"/api/sites/{SITE}/desks/stats"
    _ok(api.get(stats, headers=boss))
    assert api.post("/api/logout", headers=boss).status_code == 204
    detail = _refused(api.get(stats, headers=boss), 401, "bad_token")
    assert detail["message"] == "Phiên đăng nhập hết hạn"

    boss = login(api, server, "giamsat", "supervisor")
    _ok(api.get(stats, headers=boss))
    with server.db.write() as s:  # twelve hours later
        s.execute(update(ApiTokenRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    _refused(api.get(stats, headers=boss), 401, "bad_token")


# ----------------------------------------------------------------------------- roles


def test_each_role_reaches_only_what_it_may(api: TestClient, server: ServerRuntime) -> None:
    clerk = login(api, server, "lan", "clerk", "c01")
    board = login(api, server, "bang", "board")
    boss = login(api, server, "giamsat", "supervisor")
    admin = login(api, server, "admin", "admin")
    supervisor_views = [
        f"/api/sites/{SITE}/desks/stats",
        f"/api/sites/{SITE}/devices",
        f"/api/sites/{SITE}/rejected",
    ]
    for path in supervisor_views:
        for who in (clerk, board):
            detail = _refused(api.get(path, headers=who), 403, "forbidden")
            assert detail["message"] == "Tài khoản không có quyền này"
        for who in (boss, admin):
            _ok(api.get(path, headers=who))

    # A board account is a read-only token: it drives no desk.
    for action in ("open", "call-next", "close"):
        _refused(act(api, board, "q1", action), 403, "forbidden")
    # Only a clerk logs in at a desk; supervisors and admins do not "open" one.
    for who in (boss, admin):
        detail = _refused(act(api, who, "q1", "open"), 403, "clerk_only")
        assert detail["message"] == "Chỉ cán bộ mới mở quầy"
    state = _ok(act(api, clerk, "q1", "open"))["desk"]
    assert state["open"] and state["clerk"]["name"] == "Nguyễn Thị Lan"


def test_a_clerk_works_only_at_the_desk_they_opened(api: TestClient, server: ServerRuntime) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    hung = login(api, server, "hung", "clerk", "c02")
    _issue(server, "tp")
    _ok(act(api, lan, "q1", "open"))

    detail = _refused(act(api, hung, "q1", "call-next"), 403, "not_your_desk")
    assert detail["message"] == "Quầy này do cán bộ khác phụ trách"
    _refused(act(api, hung, "q1", "close"), 403, "not_your_desk")
    detail = _refused(act(api, hung, "q1", "open"), 409, "desk_taken")
    assert detail["message"] == "Quầy đang do cán bộ khác phụ trách"
    _refused(act(api, hung, "q2", "call-next"), 409, "desk_closed")  # not opened yet
    assert _queues(api)["tp"]["waiting"] == 1  # nothing was called by the refused clerk

    _ok(act(api, lan, "q1", "close"))
    state = _ok(act(api, hung, "q1", "open"))["desk"]
    assert state["clerk"]["id"] == "c02"


# ----------------------------------------------------------------------------- driving a desk


@BOTH_DATABASES
def test_clerk_drives_a_desk_through_a_whole_session(
    api: TestClient, server: ServerRuntime
) -> None:
    rt = server
    lan = login(api, rt, "lan", "clerk", "c01")

    def do(action: str, **body: str) -> dict[str, Any]:
        return _ok(act(api, lan, "q1", action, **body))

    _issue(rt, "tp")  # A001
    _issue(rt, "tp", "nguoi_cao_tuoi")  # A002, elderly person
    desk = do("open")["desk"]
    assert desk["open"] and desk["clerk"]["id"] == "c01" and desk["serving"] is None

    # Priority first; the one in hand must be finished before calling another.
    out = do("call-next")
    assert out["ticket"]["number"] == "A002" and out["ticket"]["state"] == "called"
    assert out["desk"]["serving"]["number"] == "A002"
    _refused(act(api, lan, "q1", "call-next"), 409, "desk_busy")
    _refused(act(api, lan, "q1", "close"), 409, "desk_busy")
    assert do("recall")["desk"]["serving"]["recall_count"] == 1
    assert do("recall")["desk"]["serving"]["recall_count"] == 2
    started_ = do("start")["desk"]["serving"]
    assert started_["state"] == "serving" and started_["started_at"] is not None
    _refused(act(api, lan, "q1", "recall"), 409, "bad_state")
    desk = do("done")["desk"]
    assert desk["serving"] is None and desk["awaiting_rating"]["number"] == "A002"

    # A citizen who does not come.
    assert do("call-next")["ticket"]["number"] == "A001"
    out = do("no-show")
    assert out["ticket"]["state"] == "no_show" and out["desk"]["serving"] is None
    out = do("call-next")
    assert out["ticket"] is None and out["message"] == "Không còn ai chờ"

    # Sent to another service: the same number rejoins that queue.
    _issue(rt, "tp")  # A003
    assert do("call-next")["ticket"]["number"] == "A003"
    _refused(act(api, lan, "q1", "transfer"), 400, "bad_request")  # which service?
    out = do("transfer", service="ldtbxh")
    assert out["ticket"]["number"] == "A003" and out["ticket"]["service"] == "ldtbxh"
    assert out["desk"]["serving"] is None
    queues = _queues(api)
    assert queues["ldtbxh"]["next_numbers"] == ["A003"] and queues["ldtbxh"]["waiting"] == 1
    assert queues["tp"]["waiting"] == 0

    # A break needs a reason; nobody is called meanwhile.
    _refused(act(api, lan, "q1", "pause"), 400, "bad_reason")
    _refused(act(api, lan, "q1", "pause", reason="   "), 400, "bad_reason")
    desk = do("pause", reason="Họp giao ban đầu tuần")["desk"]
    assert desk["paused"] and desk["pause_reason"] == "Họp giao ban đầu tuần"
    _issue(rt, "tp")  # A004
    _issue(rt, "tp")  # A005
    _refused(act(api, lan, "q1", "call-next"), 409, "desk_paused")
    _refused(act(api, lan, "q1", "call-number", number="A005"), 409, "desk_paused")
    desk = do("resume")["desk"]
    assert not desk["paused"] and desk["pause_reason"] is None
    _refused(act(api, lan, "q1", "resume"), 409, "not_paused")

    # A specific number, out of turn.
    _refused(act(api, lan, "q1", "call-number"), 400, "bad_request")
    _refused(act(api, lan, "q1", "call-number", number="A002"), 404, "not_found")  # done
    _refused(act(api, lan, "q1", "call-number", number="B001"), 404, "not_found")  # not here
    out = do("call-number", number="A005")
    assert out["ticket"]["number"] == "A005" and out["desk"]["serving"]["number"] == "A005"
    assert _queues(api)["tp"]["next_numbers"] == ["A004"]
    do("done")  # finished without "start": counted from the call
    assert do("call-next")["ticket"]["number"] == "A004"
    do("start")
    do("done")

    desk = do("close")["desk"]
    assert not desk["open"] and desk["clerk"] is None
    _refused(act(api, lan, "q1", "call-next"), 409, "desk_closed")
    public = {d["desk_id"]: d for d in _ok(api.get(f"/api/sites/{SITE}/desks"))}
    assert public["q1"]["open"] is False

    boss = login(api, rt, "giamsat", "supervisor")
    stats = _ok(api.get(f"/api/sites/{SITE}/desks/stats", headers=boss))
    q1 = next(d for d in stats["desks"] if d["desk_id"] == "q1")
    assert (q1["served"], q1["no_show"], q1["transferred"]) == (3, 1, 1)
    assert q1["ratings"] == 0 and q1["response_rate_pct"] == 0.0


def test_unknown_site_or_desk_is_404(api: TestClient, server: ServerRuntime) -> None:
    boss = login(api, server, "giamsat", "supervisor")
    lan = login(api, server, "lan", "clerk", "c01")
    for r in (
        api.get("/api/sites/hanoi/queues"),
        api.get("/api/sites/hanoi/desks"),
        api.get("/api/sites/hanoi/desks/stats", headers=boss),
        api.get("/api/sites/hanoi/devices", headers=boss),
        api.get("/api/sites/hanoi/rejected", headers=boss),
        act(api, lan, "q1", "open", site="hanoi"),
    ):
        detail = _refused(r, 404, "unknown_site")
        assert "hanoi" in detail["message"]
    _refused(act(api, lan, "q99", "open"), 404, "unknown_desk")


# ----------------------------------------------------------------------------- bad requests


def _invalid(r: httpx.Response) -> str:
    """A 422 with the API's JSON error shape; returns the English detail."""
    assert r.status_code == 422, f"{r.status_code} {r.text}"
    detail = r.json()["detail"]
    assert detail["code"] == "invalid" and detail["message"] == "Dữ liệu không hợp lệ", detail
    return str(detail["message_en"])


def test_bad_bodies_are_422_with_the_json_error_shape(
    api: TestClient, server: ServerRuntime
) -> None:
    lan = login(api, server, "lan", "clerk", "c01")
    _ok(act(api, lan, "q1", "open"))
    url = f"/api/sites/{SITE}/desks/q1"
    assert "reasn" in _invalid(api.post(f"{url}/pause", json={"reasn": "Nghỉ"}, headers=lan))
    assert "reason" in _invalid(api.post(f"{url}/pause", json={"reason": "x" * 201}, headers=lan))
    _invalid(api.post(f"{url}/call-number", json={"number": "123"}, headers=lan))
    _invalid(
        api.post(
            f"{url}/pause",
            content=b"{reason",
            headers={**lan, "Content-Type": "application/json"},
        )
    )
    _invalid(api.post(f"{url}/dance", headers=lan))  # not an action
    _invalid(api.post("/api/login", json={"username": "admin"}))
    _invalid(api.post("/api/login", json={"username": "a", "password": "p" * 201}))
    desk = _ok(api.get(f"/api/sites/{SITE}/desks"))[0]
    assert desk["desk_id"] == "q1" and not desk["paused"]  # nothing happened


def test_a_pause_reason_up_to_200_characters_is_accepted(
    api: TestClient, server: ServerRuntime
) -> None:
    """The engine, the database and the published desk state all allow 200 characters,
    and the clerk's error message says "tối đa 200 ký tự": the API must too."""
    lan = login(api, server, "lan", "clerk", "c01")
    _ok(act(api, lan, "q1", "open"))
    reason = ("Cán bộ đi họp giao ban tại UBND huyện, quầy tạm dừng tiếp nhận hồ sơ " * 3)[:200]
    desk = _ok(act(api, lan, "q1", "pause", reason=reason))["desk"]
    assert desk["paused"] and desk["pause_reason"] == reason.strip()


# ----------------------------------------------------------------------------- stats


def test_desk_stats_for_today_and_another_day(api: TestClient, server: ServerRuntime) -> None:
    boss = login(api, server, "giamsat", "supervisor")
    lan = login(api, server, "lan", "clerk", "c01")
    _issue(server, "tp")
    _ok(act(api, lan, "q1", "open"))
    _ok(act(api, lan, "q1", "call-next"))
    _ok(act(api, lan, "q1", "done"))
    today = server.engine.today()
    url = f"/api/sites/{SITE}/desks/stats"

    for query in (f"?date={today.isoformat()}", ""):
        body = _ok(api.get(url + query, headers=boss))
        assert body["site"] == SITE and body["date"] == today.isoformat()
        by_desk = {d["desk_id"]: d for d in body["desks"]}
        assert list(by_desk) == [d.id for d in server.config.desks]
        assert by_desk["q1"]["served"] == 1
        assert by_desk["q1"]["target_pct"] == server.config.target_for(today)
        assert by_desk["q2"]["served"] == 0

    other = _ok(api.get(url + "?date=2024-01-15", headers=boss))
    assert other["date"] == "2024-01-15"
    assert all(d["served"] == d["ratings"] == 0 for d in other["desks"])
    assert all(d["satisfaction_pct"] is None for d in other["desks"])
    assert {d["target_pct"] for d in other["desks"]} == {95}  # the 2024 target

    for bad in ("2024-13-01", "15/01/2024", "hom-nay"):
        assert "date" in _invalid(api.get(f"{url}?date={bad}", headers=boss))


# ----------------------------------------------------------------------------- devices


@BOTH_BROKERS
def test_devices_show_status_and_health(
    api: TestClient, server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    site = server.config
    boss = login(api, server, "giamsat", "supervisor")
    before = _devices(api, boss)
    assert list(before) == [d.id for d in site.devices]
    assert before["kiosk-1"]["status"] == "never_seen" and before["kiosk-1"]["health"] is None

    kiosk = started(device_link(site, broker, "kiosk-1", tmp_path))
    try:
        online = eventually(
            lambda: (d := _devices(api, boss)["kiosk-1"])["status"] == "online" and d,
            "kiosk-1 shown online",
        )
        assert online["since"] is not None and online["last_seen"] is not None
        assert _devices(api, boss)["pad-q1"]["status"] == "never_seen"

        health = DeviceHealth(
            device_id="kiosk-1",
            sent_at=datetime.now(UTC),
            app_version="0.1.0",
            boot_id=kiosk.boot_id,
            printer="paper_near_end",
            outbox_depth=0,
        )
        kiosk.publish_event(site.topics.device_health("kiosk-1"), health, retain=True)
        shown = eventually(
            lambda: (d := _devices(api, boss)["kiosk-1"])["health"] and d,
            "kiosk-1 health shown",
        )
        assert shown["health"]["printer"] == "paper_near_end"
        assert shown["health"]["app_version"] == "0.1.0"
    finally:
        kiosk.stop()
    eventually(
        lambda: _devices(api, boss)["kiosk-1"]["status"] == "offline",
        "kiosk-1 shown offline after it left",
    )


@BOTH_BROKERS
def test_a_device_online_before_the_server_starts_is_shown_online(
    site: SiteConfig, db_url: str, broker: Broker, tmp_path: Path
) -> None:
    """The status topic is retained: a restarted server learns who is online."""
    pad = started(device_link(site, broker, "pad-q2", tmp_path))
    rt = make_runtime(site, db_url, broker)
    try:
        with TestClient(create_app(rt)) as api:
            boss = login(api, rt, "giamsat", "supervisor")
            eventually(
                lambda: _devices(api, boss)["pad-q2"]["status"] == "online",
                "pad-q2 shown online from its retained status",
            )
            assert _devices(api, boss)["pad-q2"]["desk"] == "q2"
    finally:
        rt.stop()
        pad.stop()


# ----------------------------------------------------------------------------- rejected


def test_refused_messages_are_listed_with_their_reason(
    api: TestClient, server: ServerRuntime, broker: Broker, tmp_path: Path
) -> None:
    site = server.config
    boss = login(api, server, "giamsat", "supervisor")
    url = f"/api/sites/{SITE}/rejected"
    assert _ok(api.get(url, headers=boss)) == []

    kiosk = started(device_link(site, broker, "kiosk-1", tmp_path))
    try:
        request_topic = site.topics.ticket_request("kiosk-1")
        kiosk.publish(request_topic, b"{khong phai json")
        first = eventually(lambda: _ok(api.get(url, headers=boss)), "the broken request is listed")
        resp = request_ticket(kiosk, "khong_co")  # a service the office does not have
        assert not resp.ok and resp.refusal is not None
    finally:
        kiosk.stop()
    assert first[0]["reason"] == "bad_json"
    assert first[0]["topic"] == request_topic and first[0]["device_id"] == "kiosk-1"
    assert "khong phai json" in first[0]["excerpt"]

    both = eventually(
        lambda: (rows := _ok(api.get(url, headers=boss))) and len(rows) >= 2 and rows,
        "the unknown-service request is listed",
    )
    assert [r["reason"] for r in both] == ["unknown_service", "bad_json"]  # newest first
    assert both[0]["msg_id"] is not None and "khong_co" in both[0]["detail"]
    assert len(_ok(api.get(url + "?limit=1", headers=boss))) == 1
    _invalid(api.get(url + "?limit=0", headers=boss))
    assert _ok(api.get("/api/health"))["gateway"]["rejected"] == 2
