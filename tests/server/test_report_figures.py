"""Every report figure equals an independent count from the raw rows (hypothesis).

Random days at an office go through the engine's own code paths (numbers issued,
called, served, no-shows, transfers, pauses, desks opened and closed by several clerks,
ratings from pads and kiosks on a 5-face scale); then the report of a random period and
filter is compared with figures computed here from every row of the database, written
as plainly as possible (no code shared with `server.reports`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from protocol.messages import DeskRating, VisitRating
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import DeskEventRow, RatingRow, TicketRow
from server.queue.errors import QueueError
from server.ratings.rules import RatingRefused
from server.reports.figures import build_report
from server.reports.model import Figures, Filters
from server.reports.period import Period
from server.reports.rollup import Rollups
from tests.server.engine_helpers import T0, Clock, Office, wipe
from tests.support.services import sqlite_url
from tests.support.sites import make_site

DESKS = ["q1", "q2", "q3"]
CLERKS = ["c01", "c02", "c03", "c04"]
SERVICES = ["tp", "ldtbxh", "dd"]
LEVELS = ["very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied"]
PRAISE = ["xin_chao", "luon_mim_cuoi", "luon_lang_nghe"]
REASONS = ["khong_tre_hen", "xin_loi", "khong_huong_dan_mieng"]

RATE = st.tuples(
    st.just("rate"),
    st.sampled_from(LEVELS),
    st.booleans(),  # from the desk pad (else "rate a visit" at a kiosk)
    st.booleans(),  # partial
    st.integers(0, 7),  # which conduct items
)
#: A whole visit at a desk: a citizen takes a number for one of its services, the clerk
#: (logging in if the desk is closed) calls the next number, serves it for some minutes,
#: finishes, and the citizen may rate it.
VISIT = st.tuples(
    st.just("visit"),
    st.sampled_from(DESKS),
    st.sampled_from(CLERKS),
    st.integers(0, 12),
    st.one_of(st.none(), RATE),
)
ISSUE = st.tuples(st.just("issue"), st.sampled_from(SERVICES))
STEP = st.one_of(
    *[ISSUE] * 4,
    *[VISIT] * 5,
    st.tuples(st.just("open"), st.sampled_from(DESKS), st.sampled_from(CLERKS)),
    st.tuples(
        st.sampled_from(["call_next", "start", "done", "no_show", "pause", "resume", "close"]),
        st.sampled_from(DESKS),
    ),
    st.tuples(st.just("call_next"), st.sampled_from(DESKS)),
    st.tuples(st.just("done"), st.sampled_from(DESKS)),
    st.tuples(st.just("transfer"), st.sampled_from(DESKS), st.sampled_from(SERVICES)),
    RATE,
    st.tuples(st.just("wait"), st.integers(1, 40)),
    st.tuples(st.just("next_day"), st.integers(0, 2)),
)
FILTERS = st.one_of(
    st.just(Filters()),
    st.builds(Filters, service=st.sampled_from(SERVICES)),
    st.builds(Filters, desk=st.sampled_from(DESKS)),
    st.builds(Filters, clerk=st.sampled_from(CLERKS)),
    st.builds(Filters, source=st.sampled_from(["pad", "kiosk"])),
)


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return make_site(rating={"scale": 5, "small_sample": 3})


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    database = Database(sqlite_url(Path(tmp_path_factory.mktemp("reports"))))
    upgrade(database)
    yield database
    database.dispose()


def _act(kind: str, office: Office, desk: str) -> object:
    return office.act(kind, desk)


def _next_day(office: Office, skip: int) -> None:
    local = office.clock.now.astimezone(office.config.tz)
    morning = datetime(local.year, local.month, local.day, 7, 30, tzinfo=local.tzinfo)
    office.clock.set(morning + timedelta(days=1 + skip))
    office.act("close_previous_days")


DESK_STEPS = ("call_next", "start", "done", "no_show", "resume")
#: What each step of a random day does.
STEPS: dict[str, Callable[..., object]] = {
    "issue": lambda o, service: o.issue(service),
    "open": lambda o, desk, clerk: o.act("open_desk", desk, clerk),
    "transfer": lambda o, desk, service: o.act("transfer", desk, service),
    "pause": lambda o, desk: o.act("pause", desk, "Họp"),
    "close": lambda o, desk: o.act("close_desk", desk),
    "rate": lambda o, *args: rate_last(o, *args),
    "visit": lambda o, *args: visit(o, *args),
    "wait": lambda o, minutes: o.clock.advance(minutes=minutes),
    "next_day": _next_day,
    **{
        kind: functools.partial(_act, kind)
        for kind in ("call_next", "start", "done", "no_show", "resume")
    },
}


def run_day(office: Office, steps: list[tuple[Any, ...]]) -> None:
    """Play the steps; refusals a real clerk could meet are part of the game."""
    for kind, *args in steps:
        with contextlib.suppress(QueueError, RatingRefused):
            STEPS[kind](office, *args)
        office.clock.advance(seconds=17)


def visit(
    office: Office, desk: str, clerk: str, minutes: int, rate: tuple[Any, ...] | None
) -> None:
    services = office.config.desk_by_id[desk].services
    office.issue(services[minutes % len(services)])
    office.clock.advance(minutes=minutes)
    row = office.desk_row(desk)
    if not row.open:
        office.act("open_desk", desk, clerk)
    elif row.paused:
        office.act("resume", desk)
    elif row.ticket_id is not None:
        office.act("done", desk)
    if office.call_next(desk) is None:
        return
    office.clock.advance(seconds=40)
    office.serve(desk, minutes)
    if rate is not None:
        office.clock.advance(seconds=8)
        rate_last(office, *rate[1:])


def rate_last(office: Office, level: str, from_pad: bool, partial: bool, items: int) -> None:
    """Rate the most recently finished visit that has no rating yet."""
    with office.db.read() as s:
        rated = set(s.scalars(select(RatingRow.ticket_id)))
        done = [
            t
            for t in s.scalars(select(TicketRow).where(TicketRow.state == "done"))
            if t.id not in rated
        ]
    if not done:
        return
    t = max(done, key=lambda t: t.ended_at)
    positive = level in ("very_satisfied", "satisfied")
    pool = PRAISE if positive else REASONS
    chosen = [c for i, c in enumerate(pool) if items >> i & 1]
    conduct = {"praised": chosen} if positive else {"reasons": chosen}
    common = {"sent_at": office.clock(), "level": level, "partial": partial, **conduct}
    if from_pad:
        pad = office.config.pad_of_desk[t.desk_id]
        office.rate(DeskRating(device_id=pad, ticket_id=t.id, **common), t.desk_id)
    else:
        office.rate(VisitRating(device_id="kiosk-1", ticket_id=t.id, **common), None)


# ----------------------------------------------------------------------------- the oracle


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def middle(values: list[float]) -> float:
    ordered, n = sorted(values), len(values)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def idle_seconds(
    site: SiteConfig,
    tickets: list[TicketRow],
    events: list[DeskEventRow],
    since: datetime,
    until: datetime,
    f: Filters,
) -> float:
    """Sweep every instant where anything changes; between two of them, a desk is idle
    when it is open, not paused, holds no number and someone it could call waits."""
    total = 0.0
    for desk in site.desks:
        if f.desk and desk.id != f.desk:
            continue
        services = {f.service} if f.service else set(desk.services)
        services &= set(desk.services)
        mine = [e for e in events if e.desk_id == desk.id]
        handled = [t for t in tickets if t.desk_id == desk.id and t.first_called_at]
        queue = [t for t in tickets if t.service in services]
        points = {since, until}
        points |= {e.at for e in mine}
        for t in handled:
            points |= {t.first_called_at, t.ended_at or until}

        def left(t: TicketRow) -> datetime:
            """A number waits on its own local day only."""
            nxt = t.day + timedelta(days=1)
            midnight = datetime(nxt.year, nxt.month, nxt.day, tzinfo=site.tz).astimezone(UTC)
            return min(t.first_called_at or t.ended_at or until, midnight)

        for t in queue:
            points |= {t.issued_at, left(t)}
        cuts = sorted(p for p in points if since <= p <= until)
        for a, b in itertools.pairwise(cuts):
            mid = a + (b - a) / 2
            before = [e for e in mine if e.at <= mid]
            sessions = [e for e in before if e.kind in ("open", "close")]
            if not sessions or sessions[-1].kind != "open":
                continue
            opened = sessions[-1]
            after_open = [e for e in before if e.at >= opened.at and e.kind in ("pause", "resume")]
            if after_open and after_open[-1].kind == "pause":
                continue
            if f.clerk and opened.clerk_id != f.clerk:
                continue
            if any(t.first_called_at <= mid < (t.ended_at or until) for t in handled):
                continue
            end_wait = [(t.issued_at, left(t)) for t in queue]
            if any(x <= mid < y for x, y in end_wait):
                total += (b - a).total_seconds()
    return total


def expected(
    site: SiteConfig,
    tickets: list[TicketRow],
    ratings: list[RatingRow],
    events: list[DeskEventRow],
    p: Period,
    f: Filters,
    now: datetime,
) -> dict[str, Any]:
    def visit_ok(t: TicketRow) -> bool:
        return (
            p.start <= t.day <= p.end
            and (f.service is None or t.service == f.service)
            and (f.desk is None or t.desk_id == f.desk)
            and (f.clerk is None or t.clerk_id == f.clerk)
        )

    def rating_ok(r: RatingRow) -> bool:
        return (
            p.start <= r.day <= p.end
            and (f.service is None or r.service == f.service)
            and (f.desk is None or r.desk_id == f.desk)
            and (f.clerk is None or r.clerk_id == f.clerk)
            and (f.source is None or r.source == f.source)
        )

    vs = [t for t in tickets if visit_ok(t)]
    rs = [r for r in ratings if rating_ok(r)]
    done = [t for t in vs if t.state == "done"]
    waits = [(t.called_at - t.issued_at).total_seconds() for t in done if t.called_at]
    targets = {s.code: s.target_wait_minutes * 60 for s in site.services}
    quick = [
        t
        for t in done
        if t.called_at and (t.called_at - t.issued_at).total_seconds() <= targets[t.service]
    ]
    serve = [(t.ended_at - t.started_at).total_seconds() for t in done]
    good = [r for r in rs if r.level in ("very_satisfied", "satisfied")]
    tz = site.tz
    since = datetime(p.start.year, p.start.month, p.start.day, tzinfo=tz).astimezone(UTC)
    end = p.end + timedelta(days=1)
    until = min(datetime(end.year, end.month, end.day, tzinfo=tz).astimezone(UTC), now)
    praised: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for r in rs:
        for c in r.praised:
            praised[c] = praised.get(c, 0) + 1
        for c in r.reasons:
            reasons[c] = reasons.get(c, 0) + 1
    return {
        "issued": len([t for t in vs if t.transferred_from is None]),
        "served": len(done),
        "no_show": len([t for t in vs if t.state == "no_show"]),
        "transferred": len([t for t in vs if t.state == "transferred"]),
        "cancelled": len([t for t in vs if t.state == "cancelled"]),
        "carried_over": len([t for t in vs if t.state not in ("done", "no_show", "transferred")]),
        "wait": (len(waits), sum(waits) / len(waits), middle(waits), nearest_rank(waits, 90))
        if waits
        else (0, None, None, None),
        "service": (len(serve), sum(serve) / len(serve), middle(serve), nearest_rank(serve, 90))
        if serve
        else (0, None, None, None),
        "service_level": 100 * len(quick) / len(waits) if waits else None,
        "ratings": len(rs),
        "satisfied": len(good),
        "satisfaction": 100 * len(good) / len(rs) if rs else None,
        "response": 100 * len(rs) / len(done) if done else None,
        "partial": len([r for r in rs if r.partial]),
        "levels": {
            lv: len([r for r in rs if r.level == lv])
            for lv in ("very_satisfied", "satisfied", "dissatisfied")
        },
        "raw": {lv: n for lv in LEVELS if (n := len([r for r in rs if r.level_raw == lv]))},
        "praised": praised,
        "reasons": reasons,
        "sources": {s: n for s in ("kiosk", "pad") if (n := len([r for r in rs if r.source == s]))},
        "idle": idle_seconds(site, tickets, events, since, until, f),
    }


def close(actual: float | None, want: float | None) -> bool:
    if want is None or actual is None:
        return actual is want
    return abs(actual - want) <= 0.051


def assert_figures(got: Figures, want: dict[str, Any]) -> None:
    for name in (
        "issued",
        "served",
        "no_show",
        "transferred",
        "cancelled",
        "carried_over",
        "ratings",
        "satisfied",
        "partial",
    ):
        assert getattr(got, name) == want[name], name
    for name, stats in (("wait", got.wait), ("service", got.service)):
        count, mean, median, p90 = want[name]
        assert stats.count == count, name
        assert close(stats.mean_s, mean) and close(stats.median_s, median), name
        assert close(stats.p90_s, p90), name
    assert close(got.service_level_pct, want["service_level"])
    assert close(got.satisfaction_pct, want["satisfaction"])
    assert close(got.response_rate_pct, want["response"])
    assert got.levels == want["levels"]
    assert got.raw_levels == want["raw"]
    assert got.praised == want["praised"] and got.reasons == want["reasons"]
    assert got.by_source == want["sources"]
    assert got.idle_while_waiting_s == pytest.approx(want["idle"], abs=0.1)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(st.one_of(VISIT, STEP), min_size=25, max_size=120),
    f=FILTERS,
    first=st.sampled_from([0, 0, 0, 1, 2]),
    length=st.integers(0, 3),
)
def test_every_figure_equals_an_independent_count(
    site: SiteConfig,
    db: Database,
    steps: list[tuple[Any, ...]],
    f: Filters,
    first: int,
    length: int,
) -> None:
    wipe(db)
    office = Office(site, db, Clock(T0 - timedelta(hours=1, minutes=30)))
    with db.write() as s:
        office.engine.ensure_desks(s)
    run_day(office, steps)
    start = T0.astimezone(site.tz).date() + timedelta(days=first)
    period = Period("range", start, start + timedelta(days=length))
    now = office.clock() + timedelta(minutes=5)
    with db.read() as s:
        report = build_report(s, site, period, f, now=now)
        tickets = list(s.scalars(select(TicketRow)))
        ratings = list(s.scalars(select(RatingRow)))
        events = list(s.scalars(select(DeskEventRow).order_by(DeskEventRow.at, DeskEventRow.id)))
    assert_figures(report.total, expected(site, tickets, ratings, events, period, f, now))
    event(f"ratings: {min(report.total.ratings, 3)}+, served: {min(report.total.served, 3)}+")
    event(
        f"idle: {report.total.idle_while_waiting_s > 0}, "
        f"transferred: {report.total.transferred > 0}"
    )
    # Each clerk, desk, service and day: the same count restricted to it.
    for row in report.by["clerk"]:
        if f.clerk is None:
            want = expected(
                site, tickets, ratings, events, period, f.model_copy(update={"clerk": row.key}), now
            )
            assert_figures(row.figures, want)
    for row in report.by["desk"]:
        if f.desk is None:
            want = expected(
                site, tickets, ratings, events, period, f.model_copy(update={"desk": row.key}), now
            )
            assert_figures(row.figures, want)
    for row in report.by["service"]:
        if f.service is None:
            want = expected(
                site,
                tickets,
                ratings,
                events,
                period,
                f.model_copy(update={"service": row.key}),
                now,
            )
            assert_figures(row.figures, want)
    for row in report.by["day"]:
        day = date.fromisoformat(row.key)
        want = expected(site, tickets, ratings, events, Period("day", day, day), f, now)
        assert_figures(row.figures, want)
    # The daily roll-ups hold the same facts: built on the first report, read back on
    # the second, every figure is the same as from the raw rows.
    # Seen now (the last days recent, from the rows) and three days later (all settled).
    rollups = Rollups(db, site)
    later = now + timedelta(days=3)
    with db.read() as s:
        raw_later = build_report(s, site, period, f, now=later)
    for at, raw in ((now, report), (later, raw_later), (later, raw_later)):
        with db.read() as s:
            assert build_report(s, site, period, f, now=at, rollups=rollups) == raw
    # Nothing is left out: the days add up to the period.
    assert sum(r.figures.issued for r in report.by["day"]) == report.total.issued
    assert sum(r.figures.ratings for r in report.by["month"]) == report.total.ratings


def test_unknown_clerk_is_a_clear_error(site: SiteConfig, db: Database) -> None:
    from server.reports.figures import ReportError

    with db.read() as s, pytest.raises(ReportError) as e:
        build_report(
            s, site, Period("day", date(2026, 11, 2), date(2026, 11, 2)), Filters(clerk="c99")
        )
    assert e.value.code == "unknown_clerk"
    assert "Không có cán bộ “c99”" in e.value.message and "c99" in e.value.message_en
