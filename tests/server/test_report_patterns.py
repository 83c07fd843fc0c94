"""What a supervisor reads in a report beyond the counts: suspicious patterns flagged
(never deleted) with their weight on the satisfaction %, comparisons with the previous
period and last year, rankings with small samples flagged, the heat map, local days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.reports.figures import build_report
from server.reports.model import Filters
from server.reports.period import parse_period
from tests.server.engine_helpers import Clock, Office, desk_rating
from tests.support.services import sqlite_url
from tests.support.sites import make_site


@pytest.fixture
def site() -> SiteConfig:
    return make_site(rating={"small_sample": 5})


@pytest.fixture
def office(site: SiteConfig, tmp_path: Path) -> Iterator[Office]:
    db = Database(sqlite_url(tmp_path))
    upgrade(db)
    o = Office(site, db, Clock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC)))  # Mon 08:00 local
    with db.write() as s:
        o.engine.ensure_desks(s)
    yield o
    db.dispose()


def visit(
    o: Office, desk: str, level: str | None, *, minutes: float = 6, answer_s: float = 10
) -> None:
    """A number for the desk's first service, called, served ``minutes``, rated."""
    o.issue(o.config.desk_by_id[desk].services[0])
    o.clock.advance(minutes=2)
    o.call_next(desk)
    t = o.serve(desk, minutes)
    if level is not None:
        o.clock.advance(seconds=answer_s)
        o.rate(desk_rating(t.id, level, o.clock(), pad=o.config.pad_of_desk[desk]), desk)
    o.clock.advance(minutes=1)


def report(o: Office, period: str, **filters: str) -> object:
    with o.db.read() as s:
        return build_report(s, o.config, parse_period(period), Filters(**filters), now=o.clock())


def test_a_burst_of_ratings_seconds_apart_is_flagged_and_still_counted(office: Office) -> None:
    office.open("q1", "c01")
    for _ in range(4):
        visit(office, "q1", "dissatisfied")
    # Four more visits finished, then the pad pressed four times within a few seconds.
    finished = []
    for _ in range(4):
        office.issue("tp")
        office.call_next("q1")
        finished.append(office.serve("q1", 1))
    for t in finished:
        office.clock.advance(seconds=2)
        office.rate(desk_rating(t.id, "very_satisfied", office.clock()), "q1")
    r = report(office, "2026-11-02")
    assert r.total.ratings == 8 and r.total.satisfaction_pct == 50.0  # nothing deleted
    (burst,) = [f for f in r.flags if f.kind == "burst"]
    assert burst.desk_id == "q1" and burst.clerk_id == "c01" and burst.count == 4
    # Without them the office would be at 0 of 4: they are worth +50 points.
    assert burst.delta_pct == -50.0
    assert burst.detail == "4 lượt đánh giá liên tiếp trong 6 giây"
    assert "within 6 s" in burst.detail_en


def test_all_top_level_answered_at_once_is_flagged(office: Office) -> None:
    office.open("q1", "c01")
    for _ in range(20):
        visit(office, "q1", "very_satisfied", answer_s=0.5)
        office.clock.advance(minutes=3)
    office.open("q3", "c03")
    for level in ("very_satisfied", "satisfied", "dissatisfied"):
        visit(office, "q3", level, answer_s=12)
    r = report(office, "2026-11-02")
    perfect = [f for f in r.flags if f.kind == "too_perfect"]
    assert [f.desk_id for f in perfect] == ["q1"] and perfect[0].count == 20
    # Removing q1's 20 perfect ratings leaves 2 of 3 satisfied: 66.7 % instead of 95.7 %.
    assert r.total.satisfaction_pct == 95.7
    assert perfect[0].delta_pct == pytest.approx(66.7 - 95.7, abs=0.05)


def test_ratings_of_services_that_lasted_seconds_are_flagged(office: Office) -> None:
    office.open("q2", "c02")
    visit(office, "q2", "very_satisfied", minutes=0.1)  # 6 s at the desk
    visit(office, "q2", "satisfied", minutes=8)
    r = report(office, "2026-11-02")
    phantom = [f for f in r.flags if f.kind == "phantom_service"]
    assert len(phantom) == 1 and phantom[0].count == 1 and phantom[0].clerk_id == "c02"
    assert not [f for f in r.flags if f.kind != "phantom_service"]


def test_comparisons_rankings_small_samples_and_targets(office: Office) -> None:
    # Last year's November and October 2026: one rating each.
    for at, level in (
        (datetime(2025, 11, 3, 2, 0, tzinfo=UTC), "dissatisfied"),
        (datetime(2026, 10, 5, 2, 0, tzinfo=UTC), "satisfied"),
    ):
        office.clock.set(at)
        office.open("q1", "c01")
        visit(office, "q1", level)
        office.act("close_desk", "q1")
    office.clock.set(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    office.open("q1", "c01")
    office.open("q3", "c03")
    for _ in range(5):
        visit(office, "q1", "very_satisfied")
    for level in ("very_satisfied", "dissatisfied"):
        visit(office, "q3", level)
    r = report(office, "2026-11")
    assert r.period.label == "Tháng 11 năm 2026" and r.period.label_en == "November 2026"
    assert r.previous.period.code == "2026-10" and r.previous.figures.satisfaction_pct == 100.0
    assert r.last_year.period.code == "2025-11" and r.last_year.figures.satisfaction_pct == 0.0
    clerks = {row.key: row for row in r.by["clerk"]}
    assert clerks["c01"].rank == 1 and clerks["c03"].rank == 2
    assert clerks["c01"].figures.small_sample is False  # 5 ratings: enough here
    assert clerks["c03"].figures.small_sample is True  # 2: shown, flagged
    assert clerks["c01"].figures.meets_target and not clerks["c03"].figures.meets_target
    assert r.total.target_pct == 95 and r.targets == {2026: 95}
    assert clerks["c01"].label == "Nguyễn Thị Lan"
    # Every day of the month has its row, empty days included; the weeks are ISO weeks.
    assert len(r.by["day"]) == 30 and r.by["week"][0].key == "2026-W44"
    assert [m.key for m in r.by["month"]] == ["2026-11"]


def test_heat_map_and_day_boundaries_are_local(office: Office) -> None:
    # 23:30 UTC on Sunday 1 November is 06:30 on Monday 2 November in Hà Nội.
    office.clock.set(datetime(2026, 11, 1, 23, 30, tzinfo=UTC))
    office.issue("tp")
    office.clock.set(datetime(2026, 11, 2, 7, 10, tzinfo=UTC))  # 14:10 local
    office.issue("tp")
    r = report(office, "2026-11-02")
    assert r.total.issued == 2
    assert r.heatmap.arrivals[0][6] == 1 and r.heatmap.arrivals[0][14] == 1
    assert report(office, "2026-11-01").total.issued == 0
    assert sum(map(sum, r.heatmap.arrivals)) == 2


def test_a_clerk_is_one_person_across_desks(office: Office) -> None:
    office.open("q1", "c01")
    visit(office, "q1", "very_satisfied")
    office.act("close_desk", "q1")
    office.open("q2", "c01")
    visit(office, "q2", "dissatisfied")
    r = report(office, "2026-11-02")
    (c01,) = [row for row in r.by["clerk"] if row.key == "c01"]
    assert c01.figures.ratings == 2 and c01.figures.satisfaction_pct == 50.0
    assert {row.key: row.figures.ratings for row in r.by["desk"]} == {"q1": 1, "q2": 1}
    assert report(office, "2026-11-02", clerk="c01").total.ratings == 2
