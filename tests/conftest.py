"""Shared fixtures: a real Mosquitto on a free port (configured as production or as the
one-box server runs it), real SQLite and PostgreSQL databases, and a server runtime
wired to them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.runtime import ServerRuntime
from tests.support.display import Display, start_xvfb
from tests.support.services import (
    Broker,
    create_pg_database,
    in_ci,
    sqlite_url,
    start_broker,
    start_mosquitto,
)
from tests.support.sites import make_site


@pytest.fixture
def site() -> SiteConfig:
    return make_site()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: SQLite by default, PostgreSQL too in the matrix (see below)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield sqlite_url(tmp_path)
        return
    pg = create_pg_database()
    try:
        yield pg.url
    finally:
        pg.drop()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(sqlite_url(tmp_path))
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def migrated_db(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def broker(request: pytest.FixtureRequest, site: SiteConfig, tmp_path: Path) -> Iterator[Broker]:
    """A broker with the site's accounts: Mosquitto as production runs it by default,
    and the one-box server's embedded broker too in the matrix."""
    b = start_broker(getattr(request, "param", "mosquitto"), site, tmp_path)
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def mosquitto(site: SiteConfig, tmp_path: Path) -> Iterator[Broker]:
    b = start_mosquitto(site, tmp_path / "mosquitto")
    try:
        yield b
    finally:
        b.stop()


def make_runtime(site: SiteConfig, db_url: str, broker: Broker) -> ServerRuntime:
    rt = ServerRuntime(
        site,
        database_url=db_url,
        embedded_broker=False,
        broker_port=broker.port,
        mqtt_password=broker.server_password,
        heartbeat_s=1.0,  # the link's self-check notices a lost broker within ~3 s
    )
    rt.start()
    assert rt.wait_ready(15), "server could not connect to the broker"
    return rt


@pytest.fixture
def server(site: SiteConfig, db_url: str, broker: Broker) -> Iterator[ServerRuntime]:
    rt = make_runtime(site, db_url, broker)
    try:
        yield rt
    finally:
        rt.stop()


@pytest.fixture
def api(server: ServerRuntime) -> Iterator[TestClient]:
    with TestClient(create_app(server)) as client:
        yield client


#: Screenshots of the touch apps go to ``$MOTCUA_SCREENSHOTS/<test folder>`` when set
#: (``MOTCUA_SCREENSHOTS=docs/img`` → docs/img/kiosk, docs/img/rating_pad), else to tmp.
SHOTS_ENV = "MOTCUA_SCREENSHOTS"


@pytest.fixture(scope="session")
def display() -> Iterator[Display]:
    d = start_xvfb()
    yield d
    d.stop()


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = os.environ.get(SHOTS_ENV)
    return Path(target) / request.node.path.parent.name if target else tmp_path / "shots"


@pytest.fixture
def site_server(site: SiteConfig, mosquitto: Broker, tmp_path: Path) -> Iterator[ServerRuntime]:
    rt = make_runtime(site, sqlite_url(tmp_path), mosquitto)
    yield rt
    rt.stop()


# ------------------------------------------------------------------ the matrix
#
# A test that asks for ``db_url`` or ``broker`` (directly or through ``server``/``api``)
# runs on ONE pair by default: SQLite + Mosquitto. The full matrix, {SQLite, PostgreSQL}
# × {Mosquitto, the embedded one-box broker}, runs for every such test with ``--matrix``
# (CI sets it: ``CI=true``), and always for tests marked ``@pytest.mark.matrix`` — the
# ones whose subject is the database dialect or the broker (locks, migrations, ACLs).
# A test that parametrizes ``db_url``/``broker`` itself keeps its own parameters; one
# marked ``standalone_broker`` (it needs the test-tool account only the stand-alone
# Mosquitto of the tests has) gets the database matrix only.

DB_PARAMS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BROKER_PARAMS = ["mosquitto", "embedded"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--matrix",
        action="store_true",
        help="run every database/broker test on the full matrix (CI does)",
    )


def full_matrix(config: pytest.Config) -> bool:
    return bool(config.getoption("--matrix")) or in_ci()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    everything = full_matrix(metafunc.config) or metafunc.definition.get_closest_marker("matrix")
    own = {
        name
        for marker in metafunc.definition.iter_markers("parametrize")
        for name in (
            marker.args[0].split(",") if isinstance(marker.args[0], str) else marker.args[0]
        )
    }
    standalone = metafunc.definition.get_closest_marker("standalone_broker")
    brokers = ["mosquitto"] if standalone else BROKER_PARAMS
    for name, params in (("db_url", DB_PARAMS), ("broker", brokers)):
        if (
            everything
            and name in metafunc.fixturenames
            and name not in own
            and _ours(metafunc, name)
        ):
            metafunc.parametrize(name, params, indirect=True)


def _ours(metafunc: pytest.Metafunc, name: str) -> bool:
    """Is ``name`` this file's fixture (not a module's own override with other rules)?"""
    defs = metafunc._arg2fixturedefs.get(name) or ()
    return bool(defs) and getattr(defs[-1].func, "__module__", "") == __name__
