"""Two servers started by mistake for one site.

The server used to log in with a fixed client id, so a second one knocked the first off
the broker and back every second. Now:

* on the same database, the second is refused at start, before it touches anything,
  with a message naming the first (SQLite and PostgreSQL);
* on another database but the same broker account, the one that started later stops
  with a clear message; the first loses its connection for a moment at most twice,
  then carries on serving the kiosks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.config import SiteConfig
from server.db.tables import TicketRow
from server.runtime import ServerRuntime, StartupError
from tests.conftest import make_runtime
from tests.support.devices import device_link, request_ticket, started
from tests.support.services import Broker, free_port, sqlite_url
from tests.support.sites import SERVER_PASSWORD, write_site
from tests.support.waiting import eventually

WAIT_S = 30.0
ROOT = Path(__file__).resolve().parents[2]


def test_a_second_server_on_the_same_database_is_refused(
    site: SiteConfig, db_url: str, mosquitto: Broker
) -> None:
    first = make_runtime(site, db_url, mosquitto)
    try:
        second = ServerRuntime(
            site,
            database_url=db_url,
            embedded_broker=False,
            broker_port=mosquitto.port,
            mqtt_password=mosquitto.server_password,
        )
        with pytest.raises(StartupError) as refused:
            second.start()
        second.stop()
        message = str(refused.value)
        assert "another motcua server is already running" in message
        assert f"pid {os.getpid()}" in message  # names the first one
        assert second.link is None, "refused before it connected to anything"
        report = first.link_report()
        assert report is not None and report.ok and report.disconnects == 0
        # Once the first stops, a new one starts on that database.
        first.stop()
        third = make_runtime(site, db_url, mosquitto)
        third.stop()
    finally:
        first.stop()


def test_motcua_server_refuses_to_start_twice(tmp_path: Path, mosquitto: Broker) -> None:
    site_file = write_site(
        tmp_path / "site.yaml",
        server={
            "database_url": f"sqlite:///{tmp_path / 'motcua.db'}",
            "data_dir": str(tmp_path / "var"),
            "http": {"host": "127.0.0.1", "port": free_port()},
            "broker": {"embedded": False, "host": "127.0.0.1", "port": mosquitto.port},
        },
    )
    from server.config import load_site_config

    site = load_site_config(site_file)
    first = make_runtime(site, site.server.database_url, mosquitto)
    try:
        env = {**os.environ, "MOTCUA_MQTT_PASSWORD": SERVER_PASSWORD}
        done = subprocess.run(
            [sys.executable, "-m", "motcua.cli", "server", "--config", str(site_file)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert "another motcua server is already running" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        first.stop()


def test_a_second_server_on_the_same_broker_account_stops_and_the_first_carries_on(
    site: SiteConfig, mosquitto: Broker, tmp_path: Path
) -> None:
    first = make_runtime(site, sqlite_url(tmp_path), mosquitto)
    second = ServerRuntime(
        site,
        database_url=sqlite_url(tmp_path),  # its own database: the lock cannot see it
        embedded_broker=False,
        broker_port=mosquitto.port,
        mqtt_password=mosquitto.server_password,
        heartbeat_s=1.0,
    )
    kiosk = started(device_link(site, mosquitto, "kiosk-1", tmp_path))
    try:
        second.start()
        eventually(lambda: second.fatal, "the second server to give up")
        assert "another motcua server is using this site's server account" in str(second.fatal)
        with TestClient(create_app(second)) as api:
            body = api.get("/api/health").json()
        assert body["status"] == "degraded"
        assert body["broker_link"]["state"] == "another_server"

        eventually(lambda: first.link_report().ok, "the first server back on the broker")
        settled = first.link_report()
        assert settled.disconnects <= 2, settled
        assert settled.takeover_attempts >= 1 and settled.last_takeover
        numbers = [request_ticket(kiosk, "tp", timeout=WAIT_S) for _ in range(5)]
        assert all(r.ok and r.ticket for r in numbers)
        # Several heartbeats later, nobody has knocked the first off again.
        beats = 0
        last = first.link_report().heartbeat_age_s

        def another_beat() -> bool:
            nonlocal beats, last
            age = first.link_report().heartbeat_age_s
            if age is not None and last is not None and age < last:
                beats += 1
            last = age
            return beats >= 6

        eventually(another_beat, "six more heartbeats")
        assert first.link_report().disconnects == settled.disconnects
        with first.db.read() as s:
            mine = set(s.scalars(select(TicketRow.number)))
        assert {r.ticket.number for r in numbers if r.ticket} <= mine
    finally:
        kiosk.stop()
        second.stop()
        first.stop()
