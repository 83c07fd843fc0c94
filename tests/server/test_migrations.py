"""Alembic migrations on SQLite and PostgreSQL (issue 2, "Storage"): `motcua db upgrade`
creates every table, is safe to repeat, matches the models, and SQLite runs in WAL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from motcua.cli import app
from server.db.database import Database
from server.db.migrate import current_revision, head_revision, is_up_to_date, upgrade
from server.db.tables import Base, UserRow
from server.timeutil import now_utc
from tests.support.services import create_pg_database, sqlite_url
from tests.support.sites import write_site

# The schema's subject is the dialect: always on SQLite and PostgreSQL.
pytestmark = pytest.mark.matrix

TABLES = set(Base.metadata.tables)


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names())


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """An empty database (SQLite file or fresh PostgreSQL database), not migrated."""
    d = Database(db_url)
    yield d
    d.dispose()


def test_upgrade_creates_every_table(db: Database) -> None:
    assert _tables(db) == set()
    assert not is_up_to_date(db)
    upgrade(db)
    assert _tables(db) >= TABLES, TABLES - _tables(db)
    assert {"tickets", "ticket_events", "ratings", "users", "api_tokens"} <= TABLES
    assert "alembic_version" in _tables(db)
    assert current_revision(db) == head_revision(db) is not None
    assert is_up_to_date(db)


def test_upgrade_twice_changes_nothing_and_keeps_data(db: Database) -> None:
    upgrade(db)
    with db.write() as s:
        s.add(
            UserRow(
                username="admin", password_hash="x", role="admin", active=True, created_at=now_utc()
            )
        )
    revision = current_revision(db)
    upgrade(db)
    assert current_revision(db) == revision
    assert is_up_to_date(db)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(UserRow)) == 1


def test_migration_matches_the_models(db: Database) -> None:
    """Autogenerate finds nothing to add: the migration creates exactly the models'
    tables, columns, types, indexes and constraints."""
    upgrade(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff


@pytest.mark.postgres
def test_two_servers_starting_together_migrate_once() -> None:
    """PostgreSQL: concurrent upgrades (two servers starting at once) both succeed."""
    pg = create_pg_database()
    dbs = [Database(pg.url) for _ in range(3)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(dbs))

    def run(d: Database) -> None:
        try:
            start.wait(10)
            upgrade(d)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(d,)) for d in dbs]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert all(is_up_to_date(d) for d in dbs)
        assert _tables(dbs[0]) >= TABLES
    finally:
        for d in dbs:
            d.dispose()
        pg.drop()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    db = Database(url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        db.dispose()
    # WAL is a property of the file: any other program opening it sees it too.
    path = make_url(url).database
    assert path is not None
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_db_upgrade_command(db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    db = Database(db_url)
    try:
        assert is_up_to_date(db)
        assert str(head_revision(db)) in result.output
        assert _tables(db) >= TABLES
        with db.read() as s:  # no default account: the first admin is made by hand
            assert s.scalar(select(func.count()).select_from(UserRow)) == 0
    finally:
        db.dispose()
    again = CliRunner().invoke(app, ["db", "upgrade", "--database-url", db_url])
    assert again.exit_code == 0, again.output


def test_db_upgrade_uses_the_environment_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_url = f"sqlite:///{tmp_path / 'config.db'}"
    env_url = f"sqlite:///{tmp_path / 'env.db'}"
    site = write_site(tmp_path / "site.yaml", server={"database_url": config_url})
    monkeypatch.setenv("MOTCUA_DATABASE_URL", env_url)
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(site)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()
    assert not (tmp_path / "config.db").exists()
    db = Database(env_url)
    try:
        assert is_up_to_date(db)
    finally:
        db.dispose()
