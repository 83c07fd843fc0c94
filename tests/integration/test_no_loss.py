"""No rating is lost and none is counted twice when the broker restarts mid-stream or
the server is killed with SIGKILL and started again (outbox replay + msg_id dedup)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from protocol.link import MqttLink
from server.config import SiteConfig, load_site_config
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import ProcessedMessageRow, RatingRow
from tests.conftest import make_runtime
from tests.support.devices import device_link, rating, started
from tests.support.seed import seed_done_tickets
from tests.support.services import Broker, MosquittoBroker, free_port, wait_port
from tests.support.sites import SERVER_PASSWORD, write_site
from tests.support.waiting import eventually

PADS = ("q1", "q2", "q3", "q4", "q5", "q6")
PER_PAD = 40


def stored_ids(db: Database) -> list[str]:
    with db.read() as s:
        return [str(m) for m in s.scalars(select(RatingRow.msg_id))]


class Stream:
    """Six pads sending ratings from a background thread, through their outboxes, in
    three phases the test controls: before, during and after the outage."""

    def __init__(self, site: SiteConfig, pads: list[MqttLink], tickets: dict[str, list]) -> None:
        self.sent: list[str] = []
        self.site, self.pads, self.tickets = site, pads, tickets
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.phase_done = [threading.Event() for _ in range(3)]
        self.go = [threading.Event() for _ in range(3)]
        self.go[0].set()

    def _run(self) -> None:
        third = PER_PAD // 3
        for phase, rounds in enumerate(
            (range(0, third), range(third, 2 * third), range(2 * third, PER_PAD))
        ):
            self.go[phase].wait(60)
            for i in rounds:
                for pad, desk in zip(self.pads, PADS, strict=True):
                    r = rating(pad.device_id, self.tickets[desk][i], "satisfied")
                    pad.publish_event(self.site.topics.desk_rating(desk), r)
                    self.sent.append(str(r.msg_id))
                time.sleep(0.01)  # not a wait: paces the stream, as pads send over time
            self.phase_done[phase].set()

    def start(self) -> None:
        self.thread.start()

    def next_phase(self, phase: int) -> None:
        assert self.phase_done[phase - 1].wait(60)
        self.go[phase].set()

    def join(self) -> None:
        self.thread.join(60)
        assert not self.thread.is_alive()


def assert_each_stored_once(db: Database, sent: list[str]) -> None:
    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == len(sent) == len(PADS) * PER_PAD
    assert set(ids) == set(sent)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedMessageRow)) == len(sent)


def test_broker_restart_mid_stream_loses_nothing(
    site: SiteConfig, broker: Broker, db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    upgrade(db)
    tickets = seed_done_tickets(db, site, PER_PAD)
    rt = make_runtime(site, db_url, broker)
    pads = [started(device_link(site, broker, f"pad-{d}", tmp_path)) for d in PADS]
    try:
        stream = Stream(site, pads, tickets)
        stream.start()
        assert stream.phase_done[0].wait(30)
        broker.stop()  # ratings of phase 1 may still be in flight
        stream.next_phase(1)  # pads keep "sending" while the broker is down
        assert stream.phase_done[1].wait(30)
        assert sum(p.outbox_depth() for p in pads) >= len(PADS) * (PER_PAD // 3)
        broker.start()
        stream.next_phase(2)
        stream.join()
        eventually(lambda: len(stored_ids(db)) >= len(stream.sent), "all ratings stored", 60, 0.2)
        eventually(lambda: sum(p.outbox_depth() for p in pads) == 0, "outboxes drained", 30, 0.2)
        time.sleep(1)  # not a wait: any late redelivery would show up as an extra row now
        assert_each_stored_once(db, stream.sent)
    finally:
        for p in pads:
            p.stop()
        rt.stop()
        db.dispose()


def _server_cmd(site_file: Path, http_port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "motcua.cli",
        "server",
        "--config",
        str(site_file),
        "--http-port",
        str(http_port),
    ]


class _Exited(Exception):
    """The server process ended while a test waited for it to start."""


def _start_server(
    cmd: list[str], http_port: int, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    health = f"http://127.0.0.1:{http_port}/api/health"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise _Exited  # no use waiting
        try:
            return httpx.get(health, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        eventually(healthy, "the server's /api/health", 30, interval=0.2)
    except (AssertionError, _Exited):
        proc.kill()
        raise AssertionError(f"server did not start:\n{log.read_text(errors='replace')}") from None
    return proc


@pytest.mark.parametrize("shape", ["mosquitto", "embedded"])
def test_server_sigkill_mid_stream_loses_nothing(shape: str, tmp_path: Path) -> None:
    """The real `motcua server` process is SIGKILLed while ratings stream in, then
    restarted: with Mosquitto the broker keeps the server's unacknowledged messages;
    with the embedded broker (which dies with the server) the pads' outboxes replay."""
    http_port, mqtt_port = free_port(), free_port()
    db_path = tmp_path / "motcua.db"
    site_file = write_site(
        tmp_path / "site.yaml",
        server={
            "database_url": f"sqlite:///{db_path}",
            "http": {"host": "127.0.0.1", "port": http_port},
            "broker": {
                "embedded": shape == "embedded",
                "bind": "127.0.0.1",
                "host": "127.0.0.1",
                "port": mqtt_port,
                "password_env": "MOTCUA_MQTT_PASSWORD",
            },
        },
    )
    site = load_site_config(site_file)
    db = Database(f"sqlite:///{db_path}")
    upgrade(db)
    tickets = seed_done_tickets(db, site, PER_PAD)
    mq: MosquittoBroker | None = None
    if shape == "mosquitto":
        from tests.support.services import start_mosquitto

        mq = start_mosquitto(site, tmp_path / "mq")
        assert mq.port != mqtt_port
        mqtt_port = mq.port
        site_file = write_site(
            tmp_path / "site.yaml",
            server={
                "database_url": f"sqlite:///{db_path}",
                "http": {"host": "127.0.0.1", "port": http_port},
                "broker": {"embedded": False, "host": "127.0.0.1", "port": mqtt_port},
            },
        )
    env = {**os.environ, "MOTCUA_MQTT_PASSWORD": SERVER_PASSWORD, "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "server.log"
    cmd = _server_cmd(site_file, http_port)
    proc = _start_server(cmd, http_port, env, log)
    broker = Broker(kind=shape, port=mqtt_port)
    pads: list[MqttLink] = []
    try:
        wait_port(mqtt_port)
        pads = [started(device_link(site, broker, f"pad-{d}", tmp_path)) for d in PADS]
        stream = Stream(site, pads, tickets)
        stream.start()
        assert stream.phase_done[0].wait(30)
        stream.next_phase(1)
        proc.send_signal(signal.SIGKILL)  # while phase 2 streams in
        proc.wait(10)
        assert stream.phase_done[1].wait(30)
        proc = _start_server(cmd, http_port, env, log)
        stream.next_phase(2)
        stream.join()
        eventually(lambda: len(stored_ids(db)) >= len(stream.sent), "all ratings stored", 90, 0.2)
        eventually(lambda: sum(p.outbox_depth() for p in pads) == 0, "outboxes drained", 30, 0.2)
        time.sleep(1)  # not a wait: any late redelivery would show up as an extra row now
        assert_each_stored_once(db, stream.sent)
        health = httpx.get(f"http://127.0.0.1:{http_port}/api/health", timeout=5).json()
        assert health["status"] == "ok"
    finally:
        for p in pads:
            p.stop()
        if proc.poll() is None:
            proc.terminate()
            proc.wait(15)
        if mq is not None:
            mq.stop()
        db.dispose()
