"""`motcua demo` as a user runs it (issue 2, README "Quick start"): one command starts
the server with its embedded broker and SQLite, prints the HTTP URL and the MQTT
address, writes fresh secrets under its data folder, and stops cleanly."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import SecretStr

from protocol.link import MqttLink
from protocol.settings import BrokerSettings
from server.broker.passwords import verify_device_password
from server.config import load_site_config
from server.timeutil import local_day, now_utc
from tests.support.devices import request_ticket, started
from tests.support.services import free_port
from tests.support.sites import EXAMPLE
from tests.support.waiting import eventually

MOTCUA = str(Path(sys.executable).with_name("motcua"))
START_S = 90.0
HTTP_LINE = re.compile(r"HTTP:\s+(http://[\d.]+:(\d+))/")
MQTT_LINE = re.compile(r"MQTT:\s+mqtt://([\d.]+):(\d+)")


@dataclass
class Demo:
    """A running `motcua demo` process and what it printed."""

    proc: subprocess.Popen[bytes]
    data_dir: Path
    stdout: Path
    stderr: Path
    url: str = ""
    mqtt_host: str = ""
    mqtt_port: int = 0

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the process to end; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                raise AssertionError(f"the demo did not stop within {timeout} s") from None
        return self.proc.returncode


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update(extra)
    return env


def start_demo(
    data_dir: Path,
    logs: Path,
    *,
    http_port: int | None = None,
    broker_port: int | None = None,
    env: dict[str, str] | None = None,
) -> Demo:
    """Start the demo and wait (bounded) until it printed its addresses and is healthy."""
    logs.mkdir(parents=True, exist_ok=True)
    n = len(list(logs.glob("demo-*.out")))
    out, err = logs / f"demo-{n}.out", logs / f"demo-{n}.err"
    with out.open("wb") as fo, err.open("wb") as fe:
        proc = subprocess.Popen(
            [
                MOTCUA,
                "demo",
                "--data-dir",
                str(data_dir),
                "--http-port",
                str(http_port or free_port()),
                "--broker-port",
                str(broker_port or free_port()),
            ],
            stdout=fo,
            stderr=fe,
            cwd=logs,
            env=env or _env(),
        )
    demo = Demo(proc, data_dir, out, err)

    def running() -> None:
        if proc.poll() is not None:
            pytest.fail(f"the demo exited ({proc.returncode}):\n{demo.errors()}")

    def addresses() -> bool:
        running()
        text = demo.output()
        http, mqtt = HTTP_LINE.search(text), MQTT_LINE.search(text)
        if http and mqtt:
            demo.url = http[1]
            demo.mqtt_host, demo.mqtt_port = mqtt[1], int(mqtt[2])
        return bool(http and mqtt)

    def healthy() -> bool:
        running()
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{demo.url}/api/health", timeout=5).status_code == 200
        return False

    try:
        eventually(addresses, "the demo to print its HTTP and MQTT addresses", START_S, 0.1)
        eventually(healthy, "the demo's /api/health to say ok", START_S, 0.1)
    except BaseException:
        demo.stop(signal.SIGKILL)
        raise
    return demo


def _accounts(data_dir: Path) -> dict[str, tuple[str, str]]:
    """username → (password, role), from accounts.txt."""
    out = {}
    for line in (data_dir / "accounts.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            username, password, role = line.split()
            out[username] = (password, role)
    return out


def _device_passwords(data_dir: Path) -> dict[str, str]:
    return dict(yaml.safe_load((data_dir / "devices.yaml").read_text(encoding="utf-8")))


def _login(demo: Demo, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{demo.url}/api/login", json={"username": username, "password": password}, timeout=10
    )


#: What the demo writes that holds a hash, a password or the visits.
SECRETS = ("site.yaml", "devices.yaml", "accounts.txt", "motcua.db")


def _modes(data_dir: Path) -> dict[str, int]:
    """Permission bits of the data folder (``.``) and everything under it (but symbolic
    links, whose own bits mean nothing)."""
    out = {".": stat.S_IMODE(data_dir.stat().st_mode)}
    for path in data_dir.rglob("*"):
        with contextlib.suppress(FileNotFoundError):  # e.g. a -journal come and gone
            if not path.is_symlink():
                out[str(path.relative_to(data_dir))] = stat.S_IMODE(path.lstat().st_mode)
    return out


def _assert_private(data_dir: Path, *names: str) -> None:
    """Folders 0700 and files 0600, ``names`` among them: no other local user reads a
    password, a hash or a visit."""
    modes = _modes(data_dir)
    assert set(names) <= set(modes), sorted(modes)
    loose = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (data_dir / name).is_dir() else 0o600)
    }
    assert not loose, f"readable by others: {loose}"


def _stopped_cleanly(demo: Demo, sig: int, code: int) -> None:
    """Exited by itself after its shutdown ran (not killed half-way by the signal)."""
    assert code in (0, 128 + sig, -sig), code
    assert "Traceback" not in demo.errors() + demo.output(), demo.errors()
    # The shutdown closed the database: SQLite checkpoints and removes its write-ahead
    # log when the last connection closes; a process killed half-way leaves it behind.
    wal = demo.data_dir / "motcua.db-wal"
    assert not wal.exists(), f"killed by signal {sig} before its shutdown ran (exit {code})"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """One demo run, shared by the read-only checks of this module. Its operator has a
    MOTCUA_DATABASE_URL (a production database) in the environment: the demo must
    keep to its own SQLite file all the same."""
    tmp = tmp_path_factory.mktemp("demo")
    env = _env(MOTCUA_DATABASE_URL=f"sqlite:///{tmp / 'production.db'}")
    d = start_demo(tmp / "var" / "demo", tmp, env=env)
    try:
        yield d
    finally:
        d.stop()


# ----------------------------------------------------------------------------- first run


def test_demo_prints_its_addresses_and_is_healthy(demo: Demo) -> None:
    text = demo.output()
    assert "motcua demo — Bộ phận Một cửa UBND huyện Gia Lộc" in text
    assert "(embedded: Mosquitto started by the server)" in text and "motcua/v1/gialoc" in text
    assert str(demo.data_dir / "accounts.txt") in text
    health = httpx.get(f"{demo.url}/api/health", timeout=10).json()
    assert health["status"] == "ok"
    assert (health["broker"]["kind"], health["mqtt"], health["database"]) == (
        "embedded",
        "connected",
        "ok",
    )
    assert health["broker"]["running"] is True
    assert health["site"] == "gialoc"
    assert httpx.get(f"{demo.url}/api/sites/gialoc/queues", timeout=10).status_code == 200


def test_demo_writes_its_site_with_fresh_device_secrets(demo: Demo) -> None:
    site_file = demo.data_dir / "site.yaml"
    cfg = load_site_config(site_file)
    example = load_site_config(EXAMPLE)
    assert [s.code for s in cfg.services] == [s.code for s in example.services]
    assert cfg.server.database_url.startswith("sqlite:")

    passwords = _device_passwords(demo.data_dir)
    assert set(passwords) == {d.id for d in cfg.devices}
    old = {d.id: d.password_hash for d in example.devices}
    text = site_file.read_text(encoding="utf-8")
    for dev in cfg.devices:
        assert dev.password_hash != old[dev.id], f"{dev.id} kept the example's hash"
        assert verify_device_password(passwords[dev.id], dev.password_hash), dev.id
        assert passwords[dev.id] not in text
    # Plain-text secrets are readable by their owner only.
    for name in ("devices.yaml", "accounts.txt"):
        mode = (demo.data_dir / name).stat().st_mode
        assert mode & 0o077 == 0, f"{name} is readable by others: {oct(mode)}"

    accounts = _accounts(demo.data_dir)
    assert accounts["admin"][1] == "admin"
    assert [u for u, (_, r) in accounts.items() if r == "supervisor"]
    assert {u for u, (_, r) in accounts.items() if r == "clerk"} == {c.id for c in cfg.clerks}
    assert len({p for p, _ in accounts.values()}) == len(accounts)  # each its own password


def test_a_demo_device_gets_a_ticket_through_the_embedded_broker(demo: Demo) -> None:
    cfg = load_site_config(demo.data_dir / "site.yaml")
    settings = BrokerSettings(
        host=demo.mqtt_host,
        port=demo.mqtt_port,
        username="kiosk-1",
        password=SecretStr(_device_passwords(demo.data_dir)["kiosk-1"]),
        prefix=cfg.server.broker.prefix,
    )
    kiosk = started(MqttLink(settings, cfg.site.code, "kiosk-1"))
    try:
        resp = request_ticket(kiosk, "dkkd", timeout=15)
    finally:
        kiosk.stop()
    assert resp.ok and resp.ticket is not None, resp
    assert resp.ticket.number.startswith("D") and resp.ticket.service_name == "Đăng ký kinh doanh"
    queues = httpx.get(f"{demo.url}/api/sites/gialoc/queues", timeout=10).json()
    dkkd = next(q for q in queues if q["service"] == "dkkd")
    assert resp.ticket.number in dkkd["next_numbers"]


def test_demo_accounts_can_log_in(demo: Demo) -> None:
    accounts = _accounts(demo.data_dir)
    admin = _login(demo, "admin", accounts["admin"][0])
    assert admin.status_code == 200, admin.text
    assert admin.json()["role"] == "admin"
    headers = {"Authorization": f"Bearer {admin.json()['token']}"}
    stats = httpx.get(f"{demo.url}/api/sites/gialoc/desks/stats", headers=headers, timeout=10)
    assert stats.status_code == 200 and len(stats.json()["desks"]) == 6

    clerk = _login(demo, "c03", accounts["c03"][0])
    assert clerk.status_code == 200 and clerk.json()["clerk_id"] == "c03"
    token = {"Authorization": f"Bearer {clerk.json()['token']}"}
    opened = httpx.post(f"{demo.url}/api/sites/gialoc/desks/q3/open", headers=token, timeout=10)
    assert opened.status_code == 200, opened.text
    assert opened.json()["desk"]["clerk"]["name"] == "Phạm Thị Hương"
    assert _login(demo, "admin", "admin").status_code == 401  # no default password


def test_demo_files_are_private_to_its_user(demo: Demo) -> None:
    """The data folder is 0700 and every file in it 0600: the site (hashes), the device
    and account passwords, the database and the -wal/-shm SQLite writes beside it."""
    accounts = _accounts(demo.data_dir)
    assert _login(demo, "admin", accounts["admin"][0]).status_code == 200  # a write
    _assert_private(demo.data_dir, *SECRETS, "motcua.db-wal", "motcua.db-shm")


def test_demo_keeps_to_its_own_sqlite_database(demo: Demo) -> None:
    """A MOTCUA_DATABASE_URL left in the environment must not receive the demo's tables
    and accounts (see the `demo` fixture)."""
    production = demo.data_dir.parent.parent / "production.db"
    assert not production.exists(), "the demo wrote into MOTCUA_DATABASE_URL's database"
    assert (demo.data_dir / "motcua.db").exists()
    assert str(demo.data_dir / "motcua.db") in demo.output()


def test_demo_opens_with_90_days_of_history(demo: Demo) -> None:
    """Issue 12: the first start writes the past 90 days through the engine, so the
    reports have something to show; it says so while it works."""
    text = demo.output()
    assert "Đang tạo 90 ngày dữ liệu mẫu… / generating 90 days of sample history…" in text
    assert "Đã tạo lịch sử" in text and "working days" in text
    today = local_day(now_utc(), load_site_config(demo.data_dir / "site.yaml").tz)
    db = sqlite3.connect(f"file:{demo.data_dir / 'motcua.db'}?mode=ro", uri=True)
    try:
        first, days, tickets = db.execute(
            "SELECT min(day), count(DISTINCT day), count(*) FROM tickets WHERE site = 'gialoc'"
        ).fetchone()
        ratings, clerks = db.execute(
            "SELECT count(*), count(DISTINCT clerk_id) FROM ratings WHERE site = 'gialoc'"
        ).fetchone()
        before_today = db.execute(
            "SELECT count(*) FROM tickets WHERE day < ? AND state IN ('issued', 'called',"
            " 'serving')",
            (today.isoformat(),),
        ).fetchone()[0]
    finally:
        db.close()
    assert today - timedelta(days=90) <= date.fromisoformat(first) <= today - timedelta(days=84)
    assert days >= 65 and tickets > 1000 and ratings > 800 and clerks == 6
    assert before_today == 0  # every past visit ended


# ----------------------------------------------------------------------------- lifecycle


def test_demo_stops_cleanly_and_a_second_run_reuses_its_accounts(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo-data"
    first = start_demo(data_dir, tmp_path)
    accounts = (data_dir / "accounts.txt").read_text(encoding="utf-8")
    devices = (data_dir / "devices.yaml").read_text(encoding="utf-8")
    hashes = {d.id: d.password_hash for d in load_site_config(data_dir / "site.yaml").devices}
    _stopped_cleanly(first, signal.SIGINT, first.stop(signal.SIGINT))
    # as an older version left them: readable by everybody
    for path in [data_dir, *data_dir.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    with socket.socket() as s:  # its ports are free again (for a server, which like the
        # broker sets SO_REUSEADDR: connections the broker closed may linger in TIME_WAIT)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", first.mqtt_port))

    second = start_demo(data_dir, tmp_path)
    try:
        assert "Đang tạo" not in second.output()  # the history is written once
        modes = _modes(data_dir)  # made private again at start (the voice clips may stay)
        assert {name: oct(modes[name]) for name in (".", *SECRETS)} == {
            ".": "0o700",
            **{name: "0o600" for name in SECRETS},
        }
        assert (data_dir / "accounts.txt").read_text(encoding="utf-8") == accounts
        assert (data_dir / "devices.yaml").read_text(encoding="utf-8") == devices
        again = {d.id: d.password_hash for d in load_site_config(data_dir / "site.yaml").devices}
        assert again == hashes
        admin_password = _accounts(data_dir)["admin"][0]
        assert _login(second, "admin", admin_password).status_code == 200
    finally:
        code = second.stop(signal.SIGTERM)
    _stopped_cleanly(second, signal.SIGTERM, code)


def test_demo_picks_free_ports_when_the_preferred_ones_are_busy(tmp_path: Path) -> None:
    with socket.socket() as http_busy, socket.socket() as mqtt_busy:
        for s in (http_busy, mqtt_busy):
            s.bind(("127.0.0.1", 0))
            s.listen()
        busy_http, busy_mqtt = http_busy.getsockname()[1], mqtt_busy.getsockname()[1]
        demo = start_demo(
            tmp_path / "demo-data", tmp_path, http_port=busy_http, broker_port=busy_mqtt
        )
        try:
            port = int(demo.url.rsplit(":", 1)[1])
            assert port != busy_http and demo.mqtt_port != busy_mqtt
            assert httpx.get(f"{demo.url}/api/health", timeout=10).json()["status"] == "ok"
            # It says so: the operator learns the usual port was taken.
            said = demo.output() + demo.errors()
            assert str(busy_http) in said and str(busy_mqtt) in said, said
        finally:
            demo.stop()
