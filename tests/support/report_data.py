"""Reports for the export tests.

`make_report` builds a `Report` by hand (no database) from a few thousand seeded random
visits of the example office, with what the simulation may not give: clerks with small
samples, flags, letters. Its figures are internally consistent (a clerk row adds up its
visits, the total adds up the rows) but it does not pretend to be
`server.reports.figures`. `simulated_report` is the real thing: `build_report` over
simulated history (`server.simulation`).
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

from protocol.conduct import CONDUCT_ITEMS, Group
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.reports.dossiers import DossierRow, dossier_rows
from server.reports.figures import build_report, period_out, week_key
from server.reports.model import (
    Comparison,
    Figures,
    Filters,
    Flag,
    HeatMap,
    Letters,
    Report,
    Row,
    TimeStats,
)
from server.reports.period import Period, parse_period
from server.simulation.bulk import bulk_history
from tests.support.services import sqlite_url
from tests.support.sites import make_site

_PRAISE = [i.code for i in CONDUCT_ITEMS if i.group is not Group.KHONG]
_KHONG = [i.code for i in CONDUCT_ITEMS if i.group is Group.KHONG]
#: How often each clerk's visits end "dissatisfied" (c02 has a bad quarter).
_UNHAPPY = {"c01": 0.03, "c02": 0.16, "c03": 0.07, "c04": 0.10, "c05": 0.05, "c06": 0.0}
_MONTHS_EN = [date(2026, m, 1).strftime("%B") for m in range(1, 13)]


@dataclass
class Visit:
    day: date
    hour: int
    service: str
    desk: str
    clerk: str
    state: str
    wait_s: float
    service_s: float
    level: str | None = None
    raw: str | None = None
    praised: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    partial: bool = False
    source: str = "pad"


def _staff(desk: str, day: date) -> str | None:
    """Who works at ``desk`` that day: c01–c04 at q1–q4 every day; c05 at q5 on the 17th
    and c06 at q6 on the 8th of each month (their figures are small samples)."""
    if desk == "q5":
        return "c05" if day.day == 17 else None
    if desk == "q6":
        return "c06" if day.day == 8 else None
    return "c0" + desk.removeprefix("q")


def make_visits(config: SiteConfig, period: Period, seed: int = 12) -> list[Visit]:
    """Seeded visits: working days only, 8–20 a desk and day, most of them rated."""
    rnd = random.Random(f"{seed}-{period.code}")
    out: list[Visit] = []
    for day in period.day_list():
        if day.weekday() >= 5:
            continue
        for desk in config.desks:
            clerk = _staff(desk.id, day)
            if clerk is None:
                continue
            for _ in range(rnd.randint(6, 12) if desk.id in ("q5", "q6") else rnd.randint(8, 20)):
                hour = rnd.choices(range(7, 17), weights=[3, 9, 10, 7, 3, 1, 6, 8, 6, 2])[0]
                service = rnd.choice(desk.services)
                state = rnd.choices(
                    ["done", "no_show", "transferred", "cancelled"], weights=[90, 5, 3, 2]
                )[0]
                v = Visit(
                    day=day,
                    hour=hour,
                    service=service,
                    desk=desk.id,
                    clerk=clerk,
                    state=state,
                    wait_s=rnd.gammavariate(2.0, 240 + 120 * (hour in (8, 9, 14))),
                    service_s=rnd.gammavariate(3.0, 160),
                )
                if state == "done" and rnd.random() < 0.88:
                    _rate(v, rnd)
                out.append(v)
    return out


def _rate(v: Visit, rnd: random.Random) -> None:
    if rnd.random() < _UNHAPPY[v.clerk]:
        v.level = v.raw = "dissatisfied"
        v.reasons = rnd.sample(
            [*rnd.choices(_KHONG, weights=[5, 9, 6, 2, 4], k=3), rnd.choice(_PRAISE)],
            k=rnd.randint(1, 2),
        )
        v.reasons = list(dict.fromkeys(v.reasons))
    else:
        v.level = v.raw = "very_satisfied" if rnd.random() < 0.6 else "satisfied"
        if rnd.random() < 0.4:
            v.praised = rnd.sample(_PRAISE, k=rnd.randint(1, 2))
    v.partial = rnd.random() < 0.04
    v.source = "kiosk" if rnd.random() < 0.05 else "pad"


def _times(values: list[float]) -> TimeStats:
    if not values:
        return TimeStats()
    ordered = sorted(values)
    p90 = ordered[max(0, -(-len(ordered) * 90 // 100) - 1)]
    return TimeStats(
        count=len(values),
        mean_s=round(sum(values) / len(values), 1),
        median_s=round(statistics.median(values), 1),
        p90_s=round(p90, 1),
    )


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def figures(visits: list[Visit], config: SiteConfig, last_day: date) -> Figures:
    """Every figure of a slice of visits."""
    served = [v for v in visits if v.state == "done"]
    rated = [v for v in served if v.level]
    levels = Counter(v.level for v in rated)
    satisfied = levels["very_satisfied"] + levels["satisfied"]
    targets = {s.code: s.target_wait_minutes * 60 for s in config.services}
    in_time = sum(1 for v in served if v.wait_s <= targets[v.service])
    sat_pct = _pct(satisfied, len(rated))
    target = config.target_for(last_day)
    praised: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for v in rated:
        praised.update(v.praised)
        reasons.update(v.reasons)
    return Figures(
        issued=len(visits),
        served=len(served),
        no_show=sum(v.state == "no_show" for v in visits),
        transferred=sum(v.state == "transferred" for v in visits),
        cancelled=sum(v.state == "cancelled" for v in visits),
        carried_over=sum(v.state == "cancelled" for v in visits),
        wait=_times([v.wait_s for v in served]),
        service=_times([v.service_s for v in served]),
        service_level_pct=_pct(in_time, len(served)),
        idle_while_waiting_s=round(37.5 * len(served), 1),
        ratings=len(rated),
        satisfied=satisfied,
        satisfaction_pct=sat_pct,
        response_rate_pct=_pct(len(rated), len(served)),
        partial=sum(v.partial for v in rated),
        levels={k: levels[k] for k in ("very_satisfied", "satisfied", "dissatisfied")},
        raw_levels=dict(Counter(v.raw for v in rated if v.raw)),
        praised=dict(praised),
        reasons=dict(reasons),
        by_source=dict(Counter(v.source for v in rated)),
        target_pct=target,
        meets_target=None if sat_pct is None or target is None else sat_pct >= target,
        small_sample=len(rated) < config.rating.small_sample,
    )


def _rows(
    visits: list[Visit],
    config: SiteConfig,
    key: Callable[[Visit], str],
    labels: Callable[[str], tuple[str, str]],
    last_day: Callable[[str, list[Visit]], date],
    *,
    ranked: bool = False,
    order: Iterable[str] | None = None,
) -> list[Row]:
    groups: dict[str, list[Visit]] = defaultdict(list)
    for v in visits:
        groups[key(v)].append(v)
    keys = [k for k in order if k in groups] if order is not None else sorted(groups)
    rows = []
    for k in keys:
        label, label_en = labels(k)
        rows.append(
            Row(
                key=k,
                label=label,
                label_en=label_en,
                figures=figures(groups[k], config, last_day(k, groups[k])),
            )
        )
    if ranked:
        scored = sorted(
            (r for r in rows if r.figures.satisfaction_pct is not None),
            key=lambda r: -(r.figures.satisfaction_pct or 0),
        )
        rank = {r.key: i for i, r in enumerate(scored, start=1)}
        rows = [r.model_copy(update={"rank": rank.get(r.key)}) for r in rows]
    return rows


def _week_label(key: str) -> tuple[str, str]:
    year, week = key.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    span = f"{monday:%d/%m}–{monday + timedelta(days=6):%d/%m/%Y}"
    return f"Tuần {int(week)} ({span})", f"Week {int(week)} ({span})"


def _month_label(key: str) -> tuple[str, str]:
    year, month = (int(x) for x in key.split("-"))
    return f"Tháng {month}/{year}", f"{_MONTHS_EN[month - 1]} {year}"


def _heatmap(visits: list[Visit]) -> HeatMap:
    arrivals = [[0] * 24 for _ in range(7)]
    waits: dict[tuple[int, int], list[float]] = defaultdict(list)
    for v in visits:
        arrivals[v.day.weekday()][v.hour] += 1
        if v.state == "done":
            waits[v.day.weekday(), v.hour].append(v.wait_s)
    wait_mean: list[list[float | None]] = [
        [round(sum(w) / len(w), 1) if (w := waits.get((d, h))) else None for h in range(24)]
        for d in range(7)
    ]
    return HeatMap(arrivals=arrivals, wait_mean_s=wait_mean)


def _flags(period: Period) -> list[Flag]:
    at = datetime.combine(period.start + timedelta(days=9), datetime.min.time(), UTC)
    return [
        Flag(
            kind="burst",
            desk_id="q2",
            clerk_id="c02",
            count=14,
            first_at=at + timedelta(hours=3, minutes=2),
            last_at=at + timedelta(hours=3, minutes=6),
            delta_pct=-0.4,
            detail="14 đánh giá “Rất hài lòng” trong 4 phút tại Quầy 2",
            detail_en="14 “very satisfied” ratings within 4 minutes at desk 2",
        ),
        Flag(
            kind="phantom_service",
            desk_id="q4",
            clerk_id="c04",
            count=6,
            first_at=at + timedelta(days=20, hours=8),
            last_at=at + timedelta(days=20, hours=9, minutes=12),
            delta_pct=-0.1,
            detail="6 lượt phục vụ dưới 20 giây đều được đánh giá",
            detail_en="6 services under 20 seconds, all of them rated",
        ),
    ]


def make_report(
    config: SiteConfig,
    period: Period,
    *,
    seed: int = 12,
    filters: Filters | None = None,
    compare: bool = True,
) -> Report:
    """A report of ``period`` from seeded visits (`make_visits`)."""
    filters = filters or Filters()
    visits = make_visits(config, period, seed)
    clerk_names = {c.id: c.name for c in config.clerks}
    desk_names = {d.id: d.name for d in config.desks}
    svc = config.service_by_code
    end = period.end

    def last_of(_k: str, vs: list[Visit]) -> date:
        return max(v.day for v in vs)

    def fixed_end(_k: str, _vs: list[Visit]) -> date:
        return end

    by = {
        "clerk": _rows(
            visits,
            config,
            lambda v: v.clerk,
            lambda k: (clerk_names[k], clerk_names[k]),
            fixed_end,
            ranked=True,
            order=[c.id for c in config.clerks],
        ),
        "desk": _rows(
            visits,
            config,
            lambda v: v.desk,
            lambda k: (desk_names[k], f"Desk {k[1:]}"),
            fixed_end,
            order=[d.id for d in config.desks],
        ),
        "service": _rows(
            visits,
            config,
            lambda v: v.service,
            lambda k: (svc[k].name, svc[k].name_en),
            fixed_end,
            ranked=True,
            order=[s.code for s in config.services],
        ),
        "day": _rows(
            visits,
            config,
            lambda v: v.day.isoformat(),
            lambda k: (f"{date.fromisoformat(k):%d/%m/%Y}",) * 2,
            lambda k, _vs: date.fromisoformat(k),
        ),
        "week": _rows(visits, config, lambda v: week_key(v.day), _week_label, last_of),
        "month": _rows(visits, config, lambda v: f"{v.day:%Y-%m}", _month_label, last_of),
    }
    previous = last_year = None
    if compare:
        prev, ly = period.previous(), period.last_year()
        previous = Comparison(
            period=period_out(prev),
            figures=figures(make_visits(config, prev, seed + 1), config, prev.end),
        )
        last_year = Comparison(
            period=period_out(ly),
            figures=figures(make_visits(config, ly, seed + 2), config, ly.end),
        )
    return Report(
        site=config.site.code,
        office=config.site.name,
        office_en=config.site.name_en,
        period=period_out(period),
        filters=filters,
        generated_at=datetime(2026, 10, 5, 2, 30, tzinfo=UTC),
        timezone=config.site.timezone,
        total=figures(visits, config, end),
        previous=previous,
        last_year=last_year,
        by=by,
        heatmap=_heatmap(visits),
        flags=_flags(period),
        letters=Letters(apology=3, thanks=11),
        targets={y: config.target_for(date(y, 1, 1)) or 0 for y in range(2025, end.year + 1)},
    )


def make_dossiers(config: SiteConfig, period: Period, seed: int = 12) -> list[DossierRow]:
    """The served visits of `make_visits` as dossier rows (every one has a code)."""
    rnd = random.Random(f"dossiers-{seed}")
    svc = config.service_by_code
    clerks = config.clerk_by_id
    out = []
    for i, v in enumerate(make_visits(config, period, seed)):
        if v.state != "done":
            continue
        ended = datetime.combine(v.day, datetime.min.time(), config.tz) + timedelta(
            hours=v.hour, minutes=rnd.randint(0, 59)
        )
        out.append(
            DossierRow(
                dossier_code=f"000.00.25.H23-{v.day:%y%m%d}-{i:04d}",
                number=f"{svc[v.service].prefix}{i % 200 + 1:03d}",
                service=v.service,
                service_name=svc[v.service].name,
                service_name_en=svc[v.service].name_en,
                clerk_id=v.clerk,
                clerk_name=clerks[v.clerk].name,
                desk_id=v.desk,
                desk_name=config.desk_by_id[v.desk].name,
                ended_at=ended,
                level=v.level,
                level_raw=v.raw,
                praised=v.praised,
                reasons=v.reasons,
                partial=v.partial if v.level else None,
                source=v.source if v.level else None,
            )
        )
    out.sort(key=lambda r: r.ended_at)
    return out


#: When the simulated reports say they were made (fixed: pictures and tests repeat).
MADE_AT = datetime(2026, 10, 5, 2, 30, tzinfo=UTC)


def simulated_history(db: Database, config: SiteConfig, period: Period, seed: int = 7) -> None:
    """Simulated visits (`server.simulation`) of ``period``, the one before it and the
    same one a year earlier, so that the report has its comparisons."""
    for p in (period.last_year(), period.previous(), period):
        bulk_history(db, config, first=p.start, last=p.end, seed=seed)


def simulated_report(
    db: Database, config: SiteConfig, period: Period
) -> tuple[Report, list[DossierRow]]:
    """The report and the dossier lines of ``period``, made by `build_report` from the
    database (fill it with `simulated_history`)."""
    with db.read() as s:
        return build_report(s, config, period, now=MADE_AT), dossier_rows(s, config, period)


@cache
def simulated_example(period_code: str) -> tuple[Report, list[DossierRow]]:
    """`simulated_report` of the example office for a period, made once per test run
    (a throwaway SQLite database)."""
    config = make_site()
    period = parse_period(period_code)
    with tempfile.TemporaryDirectory() as folder:
        db = Database(sqlite_url(Path(folder)), sqlite_synchronous="OFF")
        try:
            upgrade(db)
            simulated_history(db, config, period)
            return simulated_report(db, config, period)
        finally:
            db.dispose()
