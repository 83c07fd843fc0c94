"""``motcua db backup|restore|status`` on real SQLite and PostgreSQL databases.

The key promise: a backup taken while tickets and ratings keep arriving holds every row
committed before it started, and the restored database is whole and usable.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from motcua.cli import app
from protocol.codes import TicketState
from server.config import SiteConfig
from server.db.backup import backups
from server.db.database import Database
from server.db.migrate import current_revision, head_revision, upgrade
from server.db.tables import RatingRow, TicketRow
from server.runtime import ServerRuntime
from tests.server.engine_helpers import Clock, Office, desk_rating
from tests.support.services import create_pg_database, sqlite_url
from tests.support.sites import write_site
from tests.support.waiting import eventually

# Backups are made by each dialect's own tools: always on both databases.
pytestmark = pytest.mark.matrix


def motcua(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind (where a backup is restored)."""
    if db_url.startswith("sqlite"):
        yield sqlite_url(tmp_path / "elsewhere")
        return
    pg = create_pg_database()
    try:
        yield pg.url
    finally:
        pg.drop()


def site_file(tmp_path: Path, url: str, name: str = "site.yaml") -> Path:
    return write_site(
        tmp_path / name, server={"database_url": url, "data_dir": str(tmp_path / "var")}
    )


class Visits(threading.Thread):
    """An office at work: tickets issued, called, served and rated at desk q1, each in
    its own transaction through the queue engine, as the server does; the ids of the
    committed ones are recorded once their commit has returned."""

    def __init__(self, site: SiteConfig, url: str) -> None:
        super().__init__(daemon=True)
        self.office = Office(site, Database(url))
        self.tickets: list[uuid.UUID] = []
        self.rated: list[uuid.UUID] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        o = self.office
        try:
            o.open("q1")
            while not self.stop.is_set():
                for _ in range(2):
                    self.tickets.append(o.issue("tp").ticket_id)
                o.clock.advance(seconds=5)
                assert o.call_next("q1") is not None
                done = o.serve("q1", minutes=1)
                o.rate(desk_rating(done.id, "satisfied", o.clock()), "q1")
                self.rated.append(done.id)
        except BaseException as e:
            self.error = e
        finally:
            o.db.dispose()

    def finish(self) -> None:
        self.stop.set()
        self.join(30)
        assert self.error is None, self.error


def test_a_backup_taken_while_visits_arrive_restores_every_committed_row(
    site: SiteConfig, migrated_db: Database, other_url: str, tmp_path: Path
) -> None:
    visits = Visits(site, migrated_db.url)
    visits.start()
    try:
        eventually(lambda: len(visits.rated) >= 10, "the office has served ten visits")
        before_tickets, before_rated = list(visits.tickets), list(visits.rated)
        code, out = motcua("db", "backup", "--config", site_file(tmp_path, migrated_db.url))
        assert code == 0, out
        n = len(visits.tickets)
        eventually(lambda: len(visits.tickets) > n + 4, "visits still arrive after the backup")
    finally:
        visits.finish()
    assert "đã sao lưu / backup written" in out
    (made,) = backups(tmp_path / "var" / "backups")
    assert made.path.name in out
    assert made.path.stat().st_mode & 0o777 == 0o600

    target = site_file(tmp_path, other_url, "restored.yaml")
    code, out = motcua("db", "restore", made.path, "--config", target, "--yes")
    assert code == 0, out
    assert "đã khôi phục / restored" in out

    restored = Database(other_url)
    try:
        with restored.read() as s:
            tickets = set(s.scalars(select(TicketRow.id)))
            rated = set(s.scalars(select(RatingRow.ticket_id)))
            issued = s.scalars(select(TicketRow.id).where(TicketRow.state == TicketState.ISSUED))
            waiting = len(list(issued))
        assert set(before_tickets) <= tickets, "a ticket committed before the backup is lost"
        assert set(before_rated) <= rated, "a rating committed before the backup is lost"
        assert tickets <= set(visits.tickets)
        assert current_revision(restored) == head_revision(restored)
        if restored.is_sqlite:
            path = make_url(restored.url).database
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # The server's read models answer from the restored database.
        office = Office(site, restored, clock=Clock(visits.office.clock()))
        queue = office.queue_state("tp")
        assert queue.waiting == waiting >= len(tickets) - len(rated) - 1 > 0
        assert queue.next_numbers
        assert office.desk_state("q1").open
    finally:
        restored.dispose()

    code, out = motcua("db", "status", "--config", target)
    assert f"lượt / tickets:     {len(tickets)}" in out
    assert f"đánh giá / ratings: {len(rated)}" in out


def test_retention_keeps_the_newest_backups_only(migrated_db: Database, tmp_path: Path) -> None:
    config = site_file(tmp_path, migrated_db.url)
    folder = tmp_path / "var" / "backups"
    folder.mkdir(parents=True)
    unrelated = [folder / "notes.txt", folder / "motcua-before-upgrade.db"]
    for p in unrelated:
        p.write_text("keep me", encoding="utf-8")
    made = []
    for _ in range(3):
        code, out = motcua("db", "backup", "--config", config, "--keep", "2")
        assert code == 0, out
        made.append(backups(folder)[-1].path)
    assert [b.path for b in backups(folder)] == made[1:]
    assert f"đã xoá bản cũ / removed old backup: {made[0]}" in out
    assert all(p.exists() for p in unrelated)


@pytest.mark.standalone_broker
def test_restore_is_refused_while_a_server_runs_on_the_database(
    site: SiteConfig, server: ServerRuntime, db_url: str, tmp_path: Path
) -> None:
    config = site_file(tmp_path, db_url)
    code, out = motcua("db", "backup", "--config", config)
    assert code == 0, out
    (made,) = backups(tmp_path / "var" / "backups")
    code, out = motcua("db", "restore", made.path, "--config", config, "--yes")
    assert code == 2
    assert "refusing to restore" in out
    assert "another motcua server is already running" in out
    assert server.link is not None and server.link.connected.is_set()
    after = [p.name for p in (tmp_path / "var" / "backups").iterdir()]
    assert after == [made.path.name], "nothing was touched"
    if db_url.startswith("sqlite"):
        db_file = Path(make_url(db_url).database or "")
        assert not list(db_file.parent.glob("*.before-restore-*"))


def test_status_shows_the_last_backup_and_fails_once_it_is_old(
    migrated_db: Database, tmp_path: Path
) -> None:
    config = site_file(tmp_path, migrated_db.url)
    code, out = motcua("db", "status", "--config", config)
    assert code == 1, "no backup at all"
    assert "chưa có / none in" in out
    assert "không có bản sao lưu trong 48 giờ qua" in out

    assert motcua("db", "backup", "--config", config)[0] == 0
    (made,) = backups(tmp_path / "var" / "backups")
    code, out = motcua("db", "status", "--config", config)
    assert code == 0, out
    assert ("SQLite" if migrated_db.is_sqlite else "PostgreSQL") in out
    assert f"{head_revision(migrated_db)} (mới nhất / up to date)" in out
    assert made.path.name in out
    assert "0.0 h trước / ago" in out

    three_days_ago = time.time() - 3 * 86400
    os.utime(made.path, (three_days_ago, three_days_ago))
    code, out = motcua("db", "status", "--config", config)
    assert code == 1
    assert "72.0 h trước / ago" in out
    assert "warning: no backup in the last 48 hours" in out


def test_a_backup_from_a_newer_motcua_is_refused(
    migrated_db: Database, other_url: str, tmp_path: Path
) -> None:
    with migrated_db.write() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    assert motcua("db", "backup", "--config", site_file(tmp_path, migrated_db.url))[0] == 0
    (made,) = backups(tmp_path / "var" / "backups")
    target = site_file(tmp_path, other_url, "restored.yaml")
    result = CliRunner().invoke(app, ["db", "restore", str(made.path), "-c", str(target)], "n\n")
    assert result.exit_code == 1, "the operator said no"
    assert "Replace the database" in result.output
    code, out = motcua("db", "restore", made.path, "--config", target, "--yes")
    assert code == 2
    assert "the backup comes from a newer motcua (schema 9999_future" in out
    assert current_revision(Database(other_url)) is None, "the database is untouched"


def test_an_older_backup_is_restored_and_migrated(
    db_url: str, other_url: str, tmp_path: Path
) -> None:
    old = Database(db_url)
    upgrade(old, "0004")
    old.dispose()
    assert motcua("db", "backup", "--config", site_file(tmp_path, db_url))[0] == 0
    (made,) = backups(tmp_path / "var" / "backups")
    # The database restored into is already at the newest schema (a restore after an
    # upgrade that went wrong): the backup replaces it and is migrated again.
    newer = Database(other_url)
    upgrade(newer)
    newer.dispose()
    target = site_file(tmp_path, other_url, "restored.yaml")
    code, out = motcua("db", "restore", made.path, "--config", target, "--yes")
    assert code == 0, out
    assert "the backup's schema was older (0004)" in out
    assert "the database as it was is kept in" in out
    restored = Database(other_url)
    assert current_revision(restored) == head_revision(restored)
    restored.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_wrong_database_path_is_named_and_never_created(db_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "motcua.db"
    config = site_file(tmp_path, f"sqlite:///{missing}")
    for command in ("backup", "status"):
        code, out = motcua("db", command, "--config", config)
        assert code == 2
        assert f"không có cơ sở dữ liệu / no database at {missing}" in out
    assert not missing.exists()
    assert not list((tmp_path / "var").glob("backups/motcua-*"))


def test_a_database_without_the_motcua_schema_is_not_backed_up(db_url: str, tmp_path: Path) -> None:
    empty = Database(db_url)
    with empty.write() as s:
        s.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
    empty.dispose()
    code, out = motcua("db", "backup", "--config", site_file(tmp_path, db_url))
    assert code == 2
    assert "the database has no motcua schema" in out
    assert backups(tmp_path / "var" / "backups") == []
    assert not list((tmp_path / "var" / "backups").iterdir()), "no part file left behind"


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_database_password_is_never_shown(migrated_db: Database, tmp_path: Path) -> None:
    """The password reaches pg_dump in its environment, and is masked in what is printed
    (the test server trusts local connections, so any password works)."""
    url = make_url(migrated_db.url).set(password="s3cret-pw")
    config = site_file(tmp_path, url.render_as_string(hide_password=False))
    code, backed_up = motcua("db", "backup", "--config", config)
    assert code == 0, backed_up
    code, status = motcua("db", "status", "--config", config)
    assert code == 0, status
    assert "s3cret-pw" not in backed_up + status
    assert ":***@127.0.0.1" in status
