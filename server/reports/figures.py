"""Build a report: load the period's rows once, then compute the figures of the whole
period, of each clerk (one person across desks), desk, service, day, ISO week and month,
the comparisons, the heat map, the suspicious patterns, the letters and what citizens
wrote (`server.reports.citizens`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from protocol.errors import MotcuaError
from protocol.refusals import Reason
from server.config import SiteConfig
from server.reports import load
from server.reports.citizens import citizens_of
from server.reports.compute import Tally
from server.reports.facts import Facts, FineKey, IdleKey, raw_facts
from server.reports.flags import find_flags
from server.reports.model import (
    BY_VALUES,
    Comparison,
    Figures,
    Filters,
    HeatMap,
    Letters,
    PeriodOut,
    Report,
    Row,
)
from server.reports.period import Period
from server.reports.rollup import Rollups
from server.timeutil import now_utc


class ReportError(MotcuaError, ValueError):
    """A report that cannot be made as asked; the messages say why (vi / en)."""


def check_filters(config: SiteConfig, f: Filters) -> None:
    """Unknown service, desk or clerk: a clear error rather than an empty report."""
    for value, known, code in (
        (f.service, config.service_by_code, Reason.UNKNOWN_SERVICE),
        (f.desk, config.desk_by_id, Reason.UNKNOWN_DESK),
        (f.clerk, config.clerk_by_id, Reason.UNKNOWN_CLERK),
    ):
        if value is not None and value not in known:
            raise ReportError(code, variant="report", value=value)


def period_out(p: Period) -> PeriodOut:
    return PeriodOut(
        code=p.code,
        kind=p.kind,
        start=p.start,
        end=p.end,
        label=p.label("vi"),
        label_en=p.label("en"),
    )


def week_key(d: date) -> str:
    """``2026-W45``: the ISO week of a day."""
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def _month_key(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


def _rank(rows: list[Row]) -> list[Row]:
    """Rank 1 = best satisfaction %; equal figures share a rank; no ratings: no rank."""
    ranked = sorted(
        (r for r in rows if r.figures.satisfaction_pct is not None),
        key=lambda r: -(r.figures.satisfaction_pct or 0),
    )
    ranks: dict[str, int] = {}
    for i, r in enumerate(ranked):
        prev = ranked[i - 1] if i else None
        same = prev is not None and prev.figures.satisfaction_pct == r.figures.satisfaction_pct
        ranks[r.key] = ranks[prev.key] if same and prev else i + 1
    return [r.model_copy(update={"rank": ranks.get(r.key)}) for r in rows]


class _Breakdowns:
    def __init__(self, config: SiteConfig, p: Period, facts: Facts, f: Filters) -> None:
        self.config, self.p, self.fine = config, p, facts.tallies
        self.idle = {k: v for k, v in facts.idle.items() if k.service == f.service}
        self.idle_of_service: dict[str, float] = defaultdict(float)
        for k, v in facts.idle.items():
            if k.service is not None:
                self.idle_of_service[k.service] += v

    def total(self) -> Figures:
        tally = Tally()
        for t in self.fine.values():
            tally.merge(t)
        return tally.figures(
            self.config,
            idle_s=sum(self.idle.values()),
            target_pct=self.config.target_for(self.p.end),
        )

    def heat_map(self) -> HeatMap:
        """Arrivals (new numbers) and mean wait of served visits, by weekday × local
        hour of issue."""
        arrivals = [[0] * 24 for _ in range(7)]
        wait_sum = [[0.0] * 24 for _ in range(7)]
        wait_n = [[0] * 24 for _ in range(7)]
        weekday: dict[str, int] = {}
        for k, t in self.fine.items():
            wd = weekday.setdefault(k.day, date.fromisoformat(k.day).weekday())
            for h, n in t.arrivals.items():
                arrivals[wd][h] += n
            for h, waits in t.wait_hours.items():
                wait_sum[wd][h] += sum(waits)
                wait_n[wd][h] += len(waits)
        means = [
            [round(wait_sum[d][h] / wait_n[d][h], 1) if wait_n[d][h] else None for h in range(24)]
            for d in range(7)
        ]
        return HeatMap(arrivals=arrivals, wait_mean_s=means)

    def _rows(
        self,
        keys: Sequence[tuple[str, str, str, date]],
        key_of: Callable[[FineKey], Any],
        idle_of: Callable[[str], float],
    ) -> list[Row]:
        tallies: dict[Any, Tally] = defaultdict(Tally)
        for fine, tally in self.fine.items():
            tallies[key_of(fine)].merge(tally)
        return [
            Row(
                key=key,
                label=label,
                label_en=label_en,
                figures=tallies.get(key, Tally()).figures(
                    self.config,
                    idle_s=idle_of(key),
                    target_pct=self.config.target_for(last_day),
                ),
            )
            for key, label, label_en, last_day in keys
        ]

    def _idle_by(self, key: Callable[[IdleKey], str]) -> Callable[[str], float]:
        sums: dict[str, float] = defaultdict(float)
        for k, seconds in self.idle.items():
            sums[key(k)] += seconds
        return lambda k: sums.get(k, 0.0)

    def _present(self, attr: str) -> set[str]:
        return {getattr(k, attr) for k in self.fine if getattr(k, attr)}

    def clerk(self) -> list[Row]:
        cfg, end = self.config, self.p.end
        present = self._present("clerk_id") | {k.clerk_id for k in self.idle if k.clerk_id}
        order = [c.id for c in cfg.clerks if c.id in present] + sorted(
            present - set(cfg.clerk_by_id)
        )
        keys = [(c, cfg.clerk_by_id[c].name if c in cfg.clerk_by_id else c, "", end) for c in order]
        rows = self._rows(keys, lambda k: k.clerk_id, self._idle_by(lambda g: g.clerk_id or ""))
        return _rank(rows)

    def desk(self) -> list[Row]:
        cfg, end = self.config, self.p.end
        present = self._present("desk_id") | {k.desk_id for k in self.idle}
        order = [d.id for d in cfg.desks if d.id in present] + sorted(present - set(cfg.desk_by_id))
        keys = []
        for d in order:
            desk = cfg.desk_by_id.get(d)
            keys.append((d, desk.name if desk else d, f"Desk {desk.number}" if desk else d, end))
        return self._rows(keys, lambda k: k.desk_id, self._idle_by(lambda g: g.desk_id))

    def service(self) -> list[Row]:
        cfg, end = self.config, self.p.end
        present = self._present("service")
        keys = [
            (svc.code, svc.name, svc.name_en or svc.name, end)
            for svc in cfg.services
            if svc.code in present
        ]
        idle = self.idle_of_service
        return _rank(self._rows(keys, lambda k: k.service, lambda k: idle.get(k, 0)))

    def day(self) -> list[Row]:
        keys = [
            (d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%d/%m/%Y"), d)
            for d in self.p.day_list()
        ]
        return self._rows(keys, lambda k: k.day, self._idle_by(lambda g: g.day))

    def _buckets(self, key: Callable[[date], str]) -> tuple[list[tuple[str, date]], dict[str, str]]:
        """(bucket key, its last day of the period) in order, and day → bucket key."""
        last: dict[str, date] = {}
        of_day: dict[str, str] = {}
        for d in self.p.day_list():
            last[key(d)] = d
            of_day[d.isoformat()] = key(d)
        return list(last.items()), of_day

    def _bucket_rows(
        self, key: Callable[[date], str], labels: Callable[[str], tuple[str, str]]
    ) -> list[Row]:
        """Rows of ISO weeks or months, each with the target of its last day."""
        buckets, of_day = self._buckets(key)
        keys = [(k, *labels(k), last) for k, last in buckets]
        return self._rows(
            keys,
            lambda k: of_day[k.day],
            self._idle_by(lambda g: of_day.get(g.day, "")),
        )

    def week(self) -> list[Row]:
        return self._bucket_rows(week_key, _week_labels)

    def month(self) -> list[Row]:
        return self._bucket_rows(_month_key, _month_labels)


def _week_labels(key: str) -> tuple[str, str]:
    year, week = key.split("-W")
    return f"Tuần {int(week)}/{year}", f"Week {int(week)}/{year}"


def _month_labels(key: str) -> tuple[str, str]:
    year, month = key.split("-")
    return f"Tháng {int(month)}/{year}", f"{int(month):02d}/{year}"


def _facts(
    s: Session, config: SiteConfig, p: Period, now: datetime, rollups: Rollups | None
) -> Facts:
    if rollups is None:
        return raw_facts(s, config, p.start, p.end, now)
    return rollups.facts(s, p.start, p.end, now)


def _compare(
    s: Session,
    config: SiteConfig,
    p: Period,
    f: Filters,
    now: datetime,
    rollups: Rollups | None,
) -> Comparison:
    parts = _Breakdowns(config, p, _facts(s, config, p, now, rollups).select(f), f)
    return Comparison(period=period_out(p), figures=parts.total())


def build_report(
    s: Session,
    config: SiteConfig,
    period: Period,
    filters: Filters | None = None,
    *,
    compare: bool = True,
    by: Iterable[str] = BY_VALUES,
    now: datetime | None = None,
    rollups: Rollups | None = None,
) -> Report:
    """Every figure of ``period`` (local days of the site), narrowed by ``filters``;
    from the daily roll-ups where ``rollups`` is given, else from the raw rows."""
    f = filters or Filters()
    check_filters(config, f)
    now = now or now_utc()
    parts = _Breakdowns(config, period, _facts(s, config, period, now, rollups).select(f), f)
    years = range(period.start.year, period.end.year + 1)
    site = config.site.code
    letters = load.letters(s, site, period.start, period.end, f)
    return Report(
        site=site,
        office=config.site.name,
        office_en=config.site.name_en,
        period=period_out(period),
        filters=f,
        generated_at=now.astimezone(UTC),
        timezone=config.site.timezone,
        total=parts.total(),
        previous=_compare(s, config, period.previous(), f, now, rollups) if compare else None,
        last_year=_compare(s, config, period.last_year(), f, now, rollups) if compare else None,
        by={b: getattr(parts, b)() for b in BY_VALUES if b in by},
        heatmap=parts.heat_map(),
        flags=find_flags(load.ratings(s, site, period.start, period.end, f, conduct=False)),
        letters=Letters(apology=letters.get("apology", 0), thanks=letters.get("thanks", 0)),
        citizens=citizens_of(s, site, period.start, period.end, f, now),
        targets={y: t for y in years if (t := config.target_for(date(y, 12, 31))) is not None},
    )
