"""Per-desk day aggregates (server/stats.py), with every timestamp set by the test clock
so the expected numbers are exact."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from protocol.messages import DeskStats
from server.config import SiteConfig
from server.db.database import Database
from server.readmodels.stats import desk_stats
from tests.server.engine_helpers import DAY0, T0, Office, desk_rating
from tests.support.sites import make_site


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


@pytest.fixture
def lite(site: SiteConfig, sqlite_db: Database) -> Office:
    return Office(site, sqlite_db)


def stats(o: Office, desk: str, day: date = DAY0) -> DeskStats:
    with o.db.read() as s:
        return desk_stats(s, o.config, desk, day)


def at(o: Office, minute: float) -> None:
    """Set the clock to ``minute`` minutes after 09:00 local on the test day."""
    o.clock.set(T0 + timedelta(minutes=minute))


def test_a_morning_at_one_desk(office: Office) -> None:
    o = office
    # Yesterday's visit at the same desk must not count today.
    o.clock.set(T0 - timedelta(days=1))
    o.issue("tp")
    o.open("q1")
    o.call_next("q1")
    o.serve("q1", minutes=3)
    o.rate(desk_rating(o.tickets()[-1].id, "very_satisfied", o.clock()), "q1")

    for minute in range(5):  # A001 … A005 at 09:00 … 09:04
        at(o, minute)
        o.issue("tp")
    at(o, 5)
    a1 = o.call_next("q1")  # waited 5 min
    at(o, 6)
    o.act("start", "q1")
    at(o, 10)
    o.act("done", "q1")  # served 4 min
    o.call_next("q1")  # A002
    at(o, 12)
    a2 = o.act("recall", "q1")  # waited 11 min (to the last call)
    at(o, 13)
    o.act("start", "q1")
    at(o, 25)
    o.act("done", "q1")  # served 12 min
    o.call_next("q1")  # A003
    at(o, 27)
    o.act("no_show", "q1")
    o.call_next("q1")  # A004
    at(o, 28)
    o.act("transfer", "q1", "dd")
    a5 = o.call_next("q1")  # waited 24 min
    at(o, 31)
    o.act("done", "q1")  # no "start": served 3 min from the call
    assert a1 is not None and a5 is not None

    at(o, 11)
    o.rate(
        desk_rating(a1.id, "very_satisfied", o.clock(), praised=["xin_chao", "luon_mim_cuoi"]),
        "q1",
        received_at=T0 + timedelta(minutes=32),
    )
    at(o, 26)
    o.rate(
        desk_rating(a2.id, "dissatisfied", o.clock(), reasons=["khong_tre_hen", "xin_chao"]),
        "q1",
        received_at=T0 + timedelta(minutes=32),
    )
    # Another desk's visit and rating stay at that desk.
    at(o, 32)
    o.issue("tp")
    o.open("q2")
    at(o, 33)
    o.call_next("q2")
    o.serve("q2", minutes=5)
    o.rate(desk_rating(o.tickets()[-1].id, "satisfied", o.clock(), pad="pad-q2"), "q2")

    got = stats(o, "q1")
    assert (got.desk_id, got.day) == ("q1", DAY0)
    assert (got.served, got.no_show, got.transferred) == (3, 1, 1)
    assert (got.ratings, got.satisfied) == (2, 1)
    assert got.satisfaction_pct == 50.0
    assert got.response_rate_pct == 66.7  # 2 rated of 3 served
    assert got.target_pct == 95.0  # the 2025 target
    assert got.levels == {"very_satisfied": 1, "satisfied": 0, "dissatisfied": 1}
    assert got.praised == {"xin_chao": 1, "luon_mim_cuoi": 1}
    assert got.reasons == {"xin_chao": 1, "khong_tre_hen": 1}
    assert got.wait_mean_s == 800.0  # (300 + 660 + 1440) / 3
    assert got.wait_p90_s == 1440.0
    assert got.service_mean_s == 380.0  # (240 + 720 + 180) / 3
    assert got.service_p90_s == 720.0

    other = stats(o, "q2")
    assert (other.served, other.ratings, other.satisfaction_pct) == (1, 1, 100.0)
    assert other.wait_mean_s == 60.0 and other.service_mean_s == 300.0

    yesterday = stats(o, "q1", DAY0 - timedelta(days=1))
    assert (yesterday.served, yesterday.ratings, yesterday.service_mean_s) == (1, 1, 180.0)


def test_p90_is_the_nearest_rank(lite: Office) -> None:
    """Ten services of 1 … 10 minutes: the p90 is the 9th smallest, 9 minutes."""
    lite.open("q1")
    for minutes in (7, 1, 10, 3, 5, 2, 9, 4, 8, 6):
        lite.issue("tp")
        lite.clock.advance(minutes=1)
        lite.call_next("q1")
        lite.serve("q1", minutes=minutes)
    got = stats(lite, "q1")
    assert got.served == 10
    assert got.service_p90_s == 540.0
    assert got.service_mean_s == 330.0
    assert got.wait_mean_s == got.wait_p90_s == 60.0


def test_a_no_show_who_came_back_and_was_served_counts_as_served(lite: Office) -> None:
    lite.issue("tp")
    lite.open("q1")
    lite.call_next("q1")
    lite.clock.advance(minutes=2)
    lite.act("no_show", "q1")
    assert (stats(lite, "q1").served, stats(lite, "q1").no_show) == (0, 1)
    lite.clock.advance(minutes=10)
    lite.act("call_number", "q1", "A001")
    lite.serve("q1", minutes=4)
    got = stats(lite, "q1")
    assert (got.served, got.no_show) == (1, 0)
    assert got.wait_mean_s == 720.0  # to the last call


def test_a_desk_with_nothing_yet(lite: Office) -> None:
    got = stats(lite, "q6")
    assert (got.served, got.no_show, got.transferred, got.ratings) == (0, 0, 0, 0)
    assert got.satisfaction_pct is None and got.response_rate_pct is None
    assert got.wait_mean_s is None and got.service_p90_s is None
    assert got.levels == {"very_satisfied": 0, "satisfied": 0, "dissatisfied": 0}
    assert (got.praised, got.reasons) == ({}, {})
    assert stats(lite, "q6", date(2030, 6, 1)).target_pct == 95.0  # the last plan year's
    assert stats(lite, "q6", date(2020, 6, 1)).target_pct is None  # before the plan


def test_a_neutral_face_on_a_5_level_pad_counts_as_not_satisfied(sqlite_db: Database) -> None:
    o = Office(make_site(rating={"scale": 5}), sqlite_db)
    o.open("q1")
    for level in ("very_satisfied", "neutral", "satisfied", "very_dissatisfied"):
        o.issue("tp")
        o.call_next("q1")
        done = o.serve("q1", minutes=5)
        o.rate(desk_rating(done.id, level, o.clock()), "q1")
    got = stats(o, "q1")
    assert got.levels == {"very_satisfied": 1, "satisfied": 1, "dissatisfied": 2}
    assert got.satisfaction_pct == 50.0
    assert got.response_rate_pct == 100.0
