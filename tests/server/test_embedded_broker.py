"""The one-box broker: a Mosquitto the server starts, watches and stops itself.

* its files are private and carry the same hardening as production;
* killed, it is started again and the site carries on (health counts the restart);
* it dies with the server, even on ``kill -9``, so the next start finds its port free;
* without Mosquitto installed, the server says what to install.

The attacks themselves are in ``tests/integration/test_broker_attacks.py``.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from protocol.decoding import MAX_PACKET_BYTES
from server.app import create_app
from server.broker.embedded import EmbeddedBroker
from server.config import SiteConfig, parse_site_config
from server.runtime import ServerRuntime, StartupError
from tests.support.devices import device_link, request_ticket, started
from tests.support.services import Broker, free_port, wait_port
from tests.support.sites import site_data, write_site
from tests.support.waiting import eventually

WAIT_S = 30.0
ROOT = Path(__file__).resolve().parents[2]


def onebox_site(tmp: Path, **broker: Any) -> SiteConfig:
    data = site_data()
    data["server"]["data_dir"] = str(tmp / "var")
    data["server"]["database_url"] = f"sqlite:///{tmp / 'var' / 'motcua.db'}"
    data["server"]["broker"].update(embedded=True, bind="127.0.0.1", port=free_port(), **broker)
    return parse_site_config(data, "onebox-site")


@pytest.fixture
def onebox(tmp_path: Path) -> Iterator[ServerRuntime]:
    rt = ServerRuntime(onebox_site(tmp_path), heartbeat_s=1.0)
    rt.start()
    assert rt.wait_ready(WAIT_S)
    try:
        yield rt
    finally:
        rt.stop()


def test_its_files_are_private_and_hardened(onebox: ServerRuntime, tmp_path: Path) -> None:
    folder = tmp_path / "var" / "broker"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.rglob("*"):
        want = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == want, path
    conf = (folder / "mosquitto.conf").read_text()
    for line in (
        "allow_anonymous false",
        "use_username_as_clientid true",
        f"max_packet_size {MAX_PACKET_BYTES}",
        f"listener {onebox.port} 127.0.0.1",
        "persistence true",
    ):
        assert line in conf.splitlines(), line
    # The server's own password is fresh at every start and written nowhere in clear.
    assert onebox.broker is not None
    assert onebox.broker.server_password not in (folder / "passwd").read_text()


def test_a_killed_broker_is_restarted_and_the_site_carries_on(
    onebox: ServerRuntime, tmp_path: Path
) -> None:
    site = onebox.config
    broker = Broker(kind="onebox", port=onebox.port)
    kiosk = started(device_link(site, broker, "kiosk-1", tmp_path))
    with TestClient(create_app(onebox)) as api:
        try:
            assert request_ticket(kiosk, "tp").ok
            assert onebox.broker is not None
            first = onebox.broker.pid
            assert first is not None
            os.kill(first, signal.SIGKILL)
            body = eventually(
                lambda: (
                    (r := api.get("/api/health")).status_code == 200
                    and r.json()["broker"]["restarts"] == 1
                    and r.json()
                ),
                "the broker restarted and the site healthy again",
            )
            assert body["broker"]["kind"] == "embedded"
            assert "exit code" in body["broker"]["last_exit"]
            assert body["broker_link"]["disconnects"] >= 1
            assert onebox.broker.pid != first
            assert eventually(lambda: kiosk.wait_connected(1), "the kiosk reconnected")
            resp = request_ticket(kiosk, "tp", timeout=WAIT_S)
            assert resp.ok and resp.ticket is not None
        finally:
            kiosk.stop()


def test_the_broker_dies_with_a_killed_server(tmp_path: Path) -> None:
    """``kill -9`` on ``motcua server``: its Mosquitto goes too, so the next start finds
    the MQTT port free (an orphan broker would hold it, with the old passwords)."""
    http_port, mqtt_port = free_port(), free_port()
    site_file = write_site(
        tmp_path / "site.yaml",
        server={
            "database_url": f"sqlite:///{tmp_path / 'motcua.db'}",
            "data_dir": str(tmp_path / "var"),
            "http": {"host": "127.0.0.1", "port": http_port},
            "broker": {"embedded": True, "bind": "127.0.0.1", "port": mqtt_port},
        },
    )
    cmd = [sys.executable, "-m", "motcua.cli", "server", "--config", str(site_file)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: _healthy(http_port), "the server up")
        children = _children(proc.pid)
        assert children, "no broker process under the server"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        eventually(lambda: not any(_alive(pid) for pid in children), "the broker gone too")
        again = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            eventually(lambda: _healthy(http_port), "the server up again on the same ports")
        finally:
            again.terminate()
            again.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _healthy(http_port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{http_port}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return text.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def test_without_mosquitto_the_server_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("server.broker.embedded.SEARCH_PATH", (str(tmp_path),))
    rt = ServerRuntime(onebox_site(tmp_path))
    try:
        with pytest.raises(StartupError, match="apt-get install mosquitto"):
            rt.start()
    finally:
        rt.stop()
    wrong = ServerRuntime(onebox_site(tmp_path / "b", mosquitto=str(tmp_path / "nothing")))
    try:
        with pytest.raises(StartupError, match="not an executable"):
            wrong.start()
    finally:
        wrong.stop()


def test_a_busy_port_is_reported_with_mosquittos_reason(tmp_path: Path) -> None:
    site = onebox_site(tmp_path)
    first = EmbeddedBroker(site, "127.0.0.1", site.server.broker.port, data_dir=tmp_path / "a")
    first.start()
    try:
        wait_port(site.server.broker.port)
        second = EmbeddedBroker(site, "127.0.0.1", site.server.broker.port, data_dir=tmp_path / "b")
        with pytest.raises(RuntimeError, match="in use"):
            second.start()
        assert not second.running
    finally:
        first.stop()
    assert not first.running
