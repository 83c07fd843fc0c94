"""Real services for tests: Mosquitto on a free port (as production runs it, or as the
one-box server starts it), databases.

In CI (``CI=true``) a missing service fails the test run; elsewhere the test is skipped
with a message saying what to install.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.broker.embedded import EmbeddedBroker
from server.broker.mosquitto_config import write_mosquitto
from server.broker.passwords import hash_device_password
from server.config import SiteConfig
from tests.support.sites import SERVER_PASSWORD
from tests.support.waiting import eventually

PG_ADMIN_URL = os.environ.get("MOTCUA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> None:
    """A needed service is missing: fail in CI, skip on a developer's machine."""
    if in_ci():
        pytest.fail(f"required test service missing in CI: {message}")
    pytest.skip(message)


_GIVEN: set[int] = set()


def free_port() -> int:
    """A port free now and not handed out before in this process (the kernel may hand
    the same free port to two calls in a row: a test asking for two ports got one)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


def wait_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    """Wait until something accepts connections on ``host:port``."""

    def listening() -> bool:
        with socket.create_connection((host, port), timeout=0.5):
            return True

    eventually(listening, f"something listening on {host}:{port}", timeout)


@dataclass
class Broker:
    """What a test needs to know to connect: host, port and the server's password."""

    kind: str
    port: int
    host: str = "127.0.0.1"
    server_password: str = SERVER_PASSWORD

    def stop(self) -> None: ...
    def start(self) -> None: ...

    def restart(self) -> None:
        self.stop()
        self.start()


#: Accounts with the server's rights, for test tooling only (never in a site's files).
TOOL_ACCOUNTS = tuple(f"test-tool-{i}" for i in range(1, 9))
TOOL_PASSWORD = "test-tool-password"


@functools.cache
def _tool_hash() -> str:
    return hash_device_password(TOOL_PASSWORD)


_next_tool = itertools.cycle(TOOL_ACCOUNTS)


def tool_account() -> str:
    """The next test-tool account (they take turns)."""
    return next(_next_tool)


@dataclass
class MosquittoBroker(Broker):
    workdir: Path = Path()
    config: SiteConfig | None = None
    proc: subprocess.Popen[bytes] | None = None
    conf: Path = field(default=Path())

    def write(self) -> None:
        assert self.config is not None
        files = write_mosquitto(
            self.config,
            self.workdir,
            bind="127.0.0.1",
            port=self.port,
            server_hash=hash_device_password(self.server_password),
            log_dest=f"file {self.workdir / 'mosquitto.log'}",
            # Tests run as root; Mosquitto would otherwise switch to the `mosquitto` user.
            run_as="root" if os.geteuid() == 0 else None,
        )
        # Test tooling that plays the server (responders, confirmers, watchers) logs in
        # with accounts of its own: one connection per account, so several can run next
        # to each other and next to a real server.
        root = self.config.topics.root
        with files.passwd.open("a", encoding="utf-8") as f:
            f.writelines(f"{name}:{_tool_hash()}\n" for name in TOOL_ACCOUNTS)
        with files.acl.open("a", encoding="utf-8") as f:
            f.writelines(f"user {name}\ntopic readwrite {root}/#\n\n" for name in TOOL_ACCOUNTS)
        self.conf = files.conf

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_port(self.port)
        except AssertionError:
            self.proc.kill()
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            raise RuntimeError(f"mosquitto did not start: {err}\n{self.log()}") from None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        p = self.workdir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""


def start_mosquitto(config: SiteConfig, workdir: Path) -> MosquittoBroker:
    if shutil.which("mosquitto") is None:
        unavailable("mosquitto is not installed (apt-get install mosquitto)")
    broker = MosquittoBroker(kind="mosquitto", port=free_port(), workdir=workdir, config=config)
    broker.write()
    broker.start()
    return broker


@dataclass
class EmbeddedMosquitto(Broker):
    """The one-box broker as the server starts it (`server.broker.embedded`), with the
    test site's server password."""

    config: SiteConfig | None = None
    workdir: Path = Path()
    embedded: EmbeddedBroker | None = None

    def start(self) -> None:
        assert self.config is not None
        if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
            unavailable("mosquitto is not installed (apt-get install mosquitto)")
        self.embedded = EmbeddedBroker(
            self.config,
            "127.0.0.1",
            self.port,
            data_dir=self.workdir,
            server_password=self.server_password,
        )
        self.embedded.start()

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
        self.embedded = None


def start_embedded(config: SiteConfig, workdir: Path | None = None) -> EmbeddedMosquitto:
    workdir = workdir or Path(tempfile.mkdtemp(prefix="motcua-broker-"))
    broker = EmbeddedMosquitto(kind="embedded", port=free_port(), config=config, workdir=workdir)
    broker.start()
    return broker


# ---------------------------------------------------------------------- databases


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / f'motcua-{uuid.uuid4().hex[:8]}.db'}"


@dataclass
class PgDatabase:
    url: str
    name: str

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(_psycopg_url(PG_ADMIN_URL), autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_pg_database() -> PgDatabase:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    import psycopg

    name = f"motcua_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(
            _psycopg_url(PG_ADMIN_URL), autocommit=True, connect_timeout=3
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as e:
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {e}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return PgDatabase(url=f"{base}/{name}", name=name)


def start_broker(kind: str, config: SiteConfig, workdir: Path) -> Broker:
    """A broker of the given kind ("mosquitto": as production runs it, "embedded": as
    the one-box server runs it) with the site's accounts."""
    return (
        start_mosquitto(config, workdir / "mosquitto")
        if kind == "mosquitto"
        else start_embedded(config, workdir / "embedded")
    )
