"""Simulated history: `motcua simulate history` writes past days through the
engine's own code paths, and they look like an office's days to whoever reads the
reports; the bulk writer for benchmarks writes the very same rows."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import unicodedata
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from protocol.conduct import PRAISE_CODES, REASON_CODES, Level
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import (
    CounterRow,
    DeskEventRow,
    DeskRow,
    RatingRow,
    SuggestionRow,
    TicketEventRow,
    TicketRow,
)
from server.simulation import days
from server.simulation.bulk import bulk_history, write_bulk
from server.simulation.citizens import COMPLAINT_COMMENTS, PRAISE_COMMENTS, SUGGESTIONS
from server.simulation.plan import plan_history
from server.simulation.write import (
    HistoryRefused,
    Summary,
    history_range,
    simulate_history,
    write_plans,
)
from tests.support.services import create_pg_database, sqlite_url
from tests.support.sites import make_site, write_site

MOTCUA = str(Path(sys.executable).with_name("motcua"))
#: Two weeks of October 2026: Monday 12 … Sunday 25 (no holiday).
FIRST, LAST = date(2026, 10, 12), date(2026, 10, 25)
SEED = 7
VISITS = 30
DOSSIER = re.compile(r"^000\.00\.\d\d\.H23-\d{6}-\d{4}$")


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return make_site()


@pytest.fixture(scope="module")
def history(
    site: SiteConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Summary]]:
    """Two weeks written through the engine, shared by the read-only checks."""
    db = Database(sqlite_url(tmp_path_factory.mktemp("history")))
    upgrade(db)
    summary = simulate_history(db, site, first=FIRST, last=LAST, seed=SEED, visits_per_day=VISITS)
    yield db, summary
    db.dispose()


def _rows(db: Database, table: Any, site: str | None = None) -> list[Any]:
    t = table.__table__
    q = select(t) if site is None else select(t).where(t.c.site == site)
    with db.read() as s:
        return list(s.execute(q))


# ----------------------------------------------------------------------------- the office


def test_the_office_is_closed_on_sundays_and_light_on_saturdays(history, site) -> None:
    db, summary = history
    per_day = Counter(t.day for t in _rows(db, TicketRow))
    assert summary.days == 12 and summary.visits > 200
    assert set(per_day) == {FIRST + timedelta(days=i) for i in range(14)} - {
        date(2026, 10, 18),
        date(2026, 10, 25),
    }
    weekdays = [n for d, n in per_day.items() if d.weekday() < 5]
    assert 0 < per_day[date(2026, 10, 17)] < min(weekdays)  # Saturday morning
    mondays = per_day[date(2026, 10, 12)] + per_day[date(2026, 10, 19)]
    wednesdays = per_day[date(2026, 10, 14)] + per_day[date(2026, 10, 21)]
    assert mondays > wednesdays  # 25 % busier on average


def test_citizens_arrive_in_office_hours_with_morning_peaks(history, site) -> None:
    db, _ = history
    issued = [t.issued_at.astimezone(site.tz) for t in _rows(db, TicketRow)]
    minutes = [t.hour * 60 + t.minute for t in issued]
    assert all(450 <= m < 690 or 810 <= m < 1020 for m in minutes)  # 7:30–11:30, 13:30–17:00
    by_hour = Counter(t.hour for t in issued)
    assert max(by_hour, key=by_hour.__getitem__) in (8, 9)
    assert by_hour[9] > by_hour[11] and by_hour[8] > by_hour[7]
    assert by_hour[14] > by_hour[16] and by_hour[14] > by_hour[13]


def test_every_visit_ends_and_every_rating_belongs_to_a_done_visit(history, site) -> None:
    db, _ = history
    tickets = {t.id: t for t in _rows(db, TicketRow)}
    states = Counter(t.state for t in tickets.values())
    assert not set(states) & {"issued", "called", "serving"}, states
    done = states["done"]
    assert 0.02 < states["no_show"] / len(tickets) < 0.08, states
    assert 0.01 < states["transferred"] / len(tickets) < 0.06, states
    for t in tickets.values():
        if t.transferred_from is not None:
            parent = tickets[t.transferred_from]
            assert (parent.state, parent.number, parent.issued_at) == (
                "transferred",
                t.number,
                t.issued_at,
            )
    ratings = _rows(db, RatingRow)
    assert 0.8 < len(ratings) / done < 0.98
    for r in ratings:
        t = tickets[r.ticket_id]
        assert t.state == "done"
        assert (r.desk_id, r.clerk_id, r.service, r.day) == (
            t.desk_id,
            t.clerk_id,
            t.service,
            t.day,
        )
        assert t.ended_at <= r.sent_at <= t.ended_at + timedelta(minutes=15)
        positive = Level(r.level).positive
        assert set(r.praised) <= PRAISE_CODES and set(r.reasons) <= REASON_CODES
        assert not (r.praised and not positive) and not (r.reasons and positive)
        assert not (r.partial and (r.praised or r.reasons))
    sources = Counter(r.source for r in ratings)
    assert sources.keys() == {"pad", "kiosk", "phone"}
    assert 0.05 < sources["phone"] / len(ratings) < 0.2, sources
    assert any(r.partial for r in ratings) and any(r.praised for r in ratings)
    assert any(r.reasons for r in ratings)
    codes = [t.dossier_code for t in tickets.values() if t.state == "done"]
    assert 0.75 < sum(c is not None for c in codes) / done < 0.95
    assert all(DOSSIER.match(c) for c in codes if c)
    assert len({c for c in codes if c}) == sum(c is not None for c in codes)


def test_citizens_rate_on_their_phones_and_use_the_suggestion_box(history, site) -> None:
    """Phone ratings come through the rating rules as the phone's form sends them (device
    ``phone``, the server's clock, within the window), some with a comment that suits the
    level; every working day has a few suggestions, some handled the same day."""
    db, summary = history
    tickets = {t.id: t for t in _rows(db, TicketRow)}
    phone = [r for r in _rows(db, RatingRow) if r.source == "phone"]
    assert summary.phone == len(phone) > 10
    for r in phone:
        t = tickets[r.ticket_id]
        assert r.device_id == "phone" and r.sent_at == r.received_at and not r.partial
        assert t.ended_at + timedelta(seconds=60) <= r.sent_at
        assert r.sent_at <= t.ended_at + timedelta(minutes=site.rating.window_minutes)
    said = [r for r in phone if r.comment]
    assert 0.2 < len(said) / len(phone) < 0.75
    for r in said:
        assert r.comment == unicodedata.normalize("NFC", r.comment)
        positive = Level(r.level).positive
        assert r.comment in (PRAISE_COMMENTS if positive else COMPLAINT_COMMENTS)
    assert not any(r.comment for r in _rows(db, RatingRow) if r.source != "phone")

    notes = _rows(db, SuggestionRow)
    assert summary.suggestions == len(notes) >= 5
    per_day = Counter(n.day for n in notes)
    assert set(per_day) <= {t.day for t in tickets.values()}
    for n in notes:
        assert n.site == site.site.code and n.received_at.astimezone(site.tz).date() == n.day
        assert n.text in SUGGESTIONS
        assert n.service is None or n.service in site.service_by_code
        if n.handled_at is not None:
            assert n.received_at < n.handled_at
            assert n.handled_at.astimezone(site.tz).date() == n.day
            assert n.handled_by == "giamsat" and n.handled_note
        else:
            assert n.handled_by is None and n.handled_note is None
    assert any(n.handled_at for n in notes) and any(n.handled_at is None for n in notes)
    assert any(n.contact for n in notes) and any(n.service for n in notes)


def test_clerks_differ_and_move_between_desks(history, site) -> None:
    db, _ = history
    desks_of = defaultdict(set)
    for t in _rows(db, TicketRow):
        if t.state == "done":
            desks_of[t.clerk_id].add(t.desk_id)
    assert any(len(d) >= 2 for d in desks_of.values()), desks_of
    rated: dict[str, list[bool]] = defaultdict(list)
    for r in _rows(db, RatingRow):
        rated[r.clerk_id].append(Level(r.level).positive)
    pct = {c: 100 * sum(v) / len(v) for c, v in rated.items()}
    below = [c for c, p in pct.items() if p < 95]
    assert 1 <= len(below) <= 3 and len(pct) - len(below) >= 3, pct


def test_desks_open_pause_for_lunch_and_close_every_day(history, site) -> None:
    db, _ = history
    events = _rows(db, DeskEventRow)
    per_day: dict[tuple[date, str], list[str]] = defaultdict(list)
    for e in sorted(events, key=lambda e: e.at):
        per_day[(e.at.astimezone(site.tz).date(), e.desk_id)].append(e.kind)
    for (day, desk), kinds in per_day.items():
        assert kinds[0] == "open" and kinds[-1] == "close", (day, desk, kinds)
        assert kinds.count("pause") == kinds.count("resume")
        if day.weekday() < 5:
            assert "pause" in kinds, (day, desk)
    assert any(e.reason == "Nghỉ trưa" for e in events)
    with db.read() as s:  # the live desks are left as they were: closed, empty-handed
        desks = list(s.scalars(select(DeskRow)))
    assert desks and not any(d.open or d.clerk_id or d.ticket_id for d in desks)


def test_the_same_seed_gives_the_same_history(history, site, tmp_path: Path) -> None:
    """Days written separately equal the same days of a longer run (a day depends on the
    seed and its date only); another seed gives another history."""
    db, _ = history
    again = Database(sqlite_url(tmp_path))
    upgrade(again)
    part = (date(2026, 10, 15), date(2026, 10, 16))
    simulate_history(again, site, first=part[0], last=part[1], seed=SEED, visits_per_day=VISITS)
    assert _ticket_facts(again, site.site.code) == [
        f for f in _ticket_facts(db, site.site.code) if part[0] <= f[0] <= part[1]
    ]
    other = list(plan_history(site, *part, seed=SEED + 1, visits_per_day=VISITS))
    mine = list(plan_history(site, *part, seed=SEED, visits_per_day=VISITS))
    assert [leg.issued_at for p in other for leg in p.legs] != [
        leg.issued_at for p in mine for leg in p.legs
    ]
    again.dispose()


def test_the_plan_calls_whom_the_engine_calls_under_every_n(tmp_path: Path) -> None:
    """The plan orders the queue itself; the engine writer checks each of its calls
    against the engine's ``call_next`` (a mismatch raises). Under ``every_n`` a normal
    ticket is sometimes called while a priority one waits, never under ``strict``."""
    config = make_site(calling={"policy": "every_n", "every_n": 5}, desks=3)
    db = Database(sqlite_url(tmp_path))
    upgrade(db)
    day = date(2026, 11, 2)
    summary = simulate_history(db, config, first=day, last=day, seed=5, visits_per_day=120)
    assert summary.visits > 100
    called = [t for t in _rows(db, TicketRow) if t.first_called_at is not None]
    prio = [t for t in called if t.priority]
    assert prio
    assert any(
        p.service == n.service and p.issued_at < n.first_called_at < p.first_called_at
        for p in prio
        for n in called
        if not n.priority
    )
    db.dispose()


def test_days_already_written_are_refused_and_nothing_is_written(history, site) -> None:
    db, _ = history
    before = {t: len(_rows(db, t)) for t in (TicketRow, RatingRow, DeskEventRow)}
    with pytest.raises(HistoryRefused) as refused:
        simulate_history(
            db, site, first=LAST - timedelta(days=20), last=LAST, seed=SEED + 1, visits_per_day=5
        )
    assert "đã có" in refused.value.message and "nothing was written" in refused.value.message_en
    with pytest.raises(HistoryRefused):
        bulk_history(db, site, first=FIRST, last=FIRST, seed=SEED)
    assert {t: len(_rows(db, t)) for t in before} == before


def test_only_past_days_are_written() -> None:
    today = date(2026, 12, 2)
    assert history_range(90, None, today) == (date(2026, 9, 3), date(2026, 12, 1))
    with pytest.raises(HistoryRefused) as refused:
        history_range(3, today, today)
    assert "ngày đã qua" in refused.value.message


def test_the_calendar_knows_holidays() -> None:
    assert not days.is_open(date(2026, 9, 2))  # Quốc khánh
    assert not days.is_open(date(2026, 2, 17))  # Mùng 1 Tết
    assert days.load_factor(date(2026, 9, 3)) > days.load_factor(date(2026, 9, 9))  # after 2/9
    assert days.load_factor(date(2026, 10, 12)) > days.load_factor(date(2026, 10, 14))  # Monday


# ----------------------------------------------------------------------------- bulk writer


def _ticket_facts(db: Database, site: str) -> list[tuple[Any, ...]]:
    """What a report reads of the tickets, without ids (a transfer's origin by service)."""
    rows = _rows(db, TicketRow, site)
    by_id = {t.id: t for t in rows}
    return sorted(
        (
            t.day,
            t.number,
            t.service,
            t.seq,
            t.priority,
            t.state,
            t.issued_at,
            t.first_called_at,
            t.called_at,
            t.started_at,
            t.ended_at,
            t.desk_id,
            t.clerk_id,
            t.recall_count,
            t.kiosk_id,
            t.offline,
            by_id[t.transferred_from].service if t.transferred_from else None,
            t.dossier_code,
        )
        for t in rows
    )


def _facts(db: Database, site: str) -> dict[str, list[tuple[Any, ...]]]:
    tickets = {t.id: (t.day, t.number, t.service) for t in _rows(db, TicketRow, site)}

    def data(d: dict[str, Any] | None) -> Any:
        if d and "transferred_from" in d:
            d = {**d, "transferred_from": tickets[uuid.UUID(d["transferred_from"])]}
        return sorted((d or {}).items())

    counters = sorted((c.service, c.day, c.last_seq) for c in _rows(db, CounterRow, site))
    return {
        "tickets": _ticket_facts(db, site),
        "events": sorted(
            (tickets[e.ticket_id], e.kind, e.at, e.desk_id, e.clerk_id, data(e.data))
            for e in _rows(db, TicketEventRow, site)
        ),
        "ratings": sorted(
            (
                tickets[r.ticket_id],
                r.msg_id,
                r.day,
                r.desk_id,
                r.clerk_id,
                r.service,
                r.level,
                r.level_raw,
                r.praised,
                r.reasons,
                r.partial,
                r.source,
                r.device_id,
                r.sent_at,
                r.received_at,
                r.comment,
            )
            for r in _rows(db, RatingRow, site)
        ),
        "suggestions": sorted(
            (
                n.id,
                n.day,
                n.received_at,
                n.text,
                n.service,
                n.contact,
                n.handled_at,
                n.handled_by,
                n.handled_note,
            )
            for n in _rows(db, SuggestionRow, site)
        ),
        "desk_events": sorted(
            (e.desk_id, e.kind, e.at, e.clerk_id, e.reason) for e in _rows(db, DeskEventRow, site)
        ),
        "counters": counters,
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Database]]:
    """Two empty databases of one kind (the writers' rows share rating msg_ids)."""
    if request.param == "sqlite":
        urls, drops = [sqlite_url(tmp_path), sqlite_url(tmp_path)], []
    else:
        pgs = [create_pg_database(), create_pg_database()]
        urls, drops = [p.url for p in pgs], [p.drop for p in pgs]
    dbs = [Database(u) for u in urls]
    for db in dbs:
        upgrade(db)
    yield dbs
    for db in dbs:
        db.dispose()
    for drop in drops:
        drop()


def test_the_bulk_writer_writes_what_the_engine_writes(two_databases, site) -> None:
    engine_db, bulk_db = two_databases
    # A Monday after a weekend, a Saturday, the Sunday, and a priority-heavy Monday.
    first, last = date(2026, 11, 7), date(2026, 11, 9)
    args = {"seed": 11, "visits_per_day": 40}
    engine = write_plans(
        engine_db, site, plan_history(site, first, last, **args), Summary(first, last)
    )
    bulk = write_bulk(bulk_db, plan_history(site, first, last, **args), Summary(first, last))
    assert (engine.visits, engine.ratings) == (bulk.visits, bulk.ratings) and engine.visits > 40
    code = site.site.code
    mine, theirs = _facts(engine_db, code), _facts(bulk_db, code)
    for table in mine:
        assert mine[table] == theirs[table], table
    assert {r[11] for r in mine["ratings"]} == {"pad", "kiosk", "phone"}
    assert any(r[-1] for r in mine["ratings"]) and mine["suggestions"]


def test_the_bulk_writer_fills_many_offices_into_one_database(site, sqlite_db) -> None:
    a = bulk_history(
        sqlite_db, site, first=FIRST, last=LAST, seed=1, site="xa-a", visits_per_day=20
    )
    b = bulk_history(
        sqlite_db, site, first=FIRST, last=LAST, seed=1, site="xa-b", visits_per_day=20
    )
    with sqlite_db.read() as s:
        per_site = dict(
            s.execute(select(TicketRow.site, func.count()).group_by(TicketRow.site)).all()
        )
    assert per_site == {"xa-a": a.tickets, "xa-b": b.tickets}
    assert _ticket_facts(sqlite_db, "xa-a") != _ticket_facts(sqlite_db, "xa-b")
    with pytest.raises(HistoryRefused):
        bulk_history(sqlite_db, site, first=FIRST, last=FIRST, seed=2, site="xa-b")


# ----------------------------------------------------------------------------- command line


def test_the_command_line_writes_history_once(tmp_path: Path) -> None:
    db_file = tmp_path / "motcua.db"
    config = write_site(tmp_path / "site.yaml")
    text = config.read_text(encoding="utf-8").replace(
        "sqlite:///var/motcua.db", f"sqlite:///{db_file}"
    )
    config.write_text(text, encoding="utf-8")
    cmd = [MOTCUA, "simulate", "history", "--config", str(config), "--days", "7"]
    cmd += ["--end", "2026-03-20", "--seed", "3", "--visits-per-day", "12"]
    env = {"PATH": "/usr/bin:/bin"}
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    assert "Đã tạo lịch sử 14/03/2026–20/03/2026: 6 ngày làm việc" in first.stdout
    assert "written: 6 working days" in first.stdout
    count = sqlite3.connect(db_file).execute("SELECT count(*) FROM tickets").fetchone()[0]
    assert count > 30
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert again.returncode == 2
    assert "đã có" in again.stderr and "nothing was written" in again.stderr
    assert sqlite3.connect(db_file).execute("SELECT count(*) FROM tickets").fetchone()[0] == count
    future = subprocess.run(
        [*cmd[:-6], "--end", "2999-01-01"], capture_output=True, text=True, timeout=60, env=env
    )
    assert future.returncode == 2 and "ngày đã qua" in future.stderr
