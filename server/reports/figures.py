"""Build a report: load the period's rows once, then compute the figures of the whole
period, of each clerk (one person across desks), desk, service, day, ISO week and month,
the comparisons, the heat map, the suspicious patterns and the letters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.reports import load
from server.reports.compute import figures
from server.reports.flags import find_flags
from server.reports.idle import IdleSegment, idle_segments
from server.reports.load import Rated, Visit
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
from server.timeutil import day_bounds_utc, local_day, now_utc


class ReportError(ValueError):
    """A report that cannot be made as asked; the messages say why (vi / en)."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message = message
        self.message_en = message_en


def check_filters(config: SiteConfig, f: Filters) -> None:
    """Unknown service, desk or clerk: a clear error rather than an empty report."""
    for value, known, vi, en in (
        (f.service, config.service_by_code, "lĩnh vực", "service"),
        (f.desk, config.desk_by_id, "quầy", "desk"),
        (f.clerk, config.clerk_by_id, "cán bộ", "clerk"),
    ):
        if value is not None and value not in known:
            raise ReportError(
                f"unknown_{en}",
                f"Không có {vi} “{value}” trong cấu hình của đơn vị",
                f"unknown {en} {value!r}",
            )


def period_out(p: Period) -> PeriodOut:
    return PeriodOut(
        code=p.code,
        kind=p.kind,
        start=p.start,
        end=p.end,
        label=p.label("vi"),
        label_en=p.label("en"),
    )


@dataclass
class _Data:
    """The rows of one period, as loaded."""

    visits: list[Visit]
    rated: list[Rated]
    idle: list[IdleSegment]
    #: Idle segments per service (the desk free while that service's tickets waited).
    idle_by_service: dict[str, list[IdleSegment]]


def _load(
    s: Session, config: SiteConfig, p: Period, f: Filters, now: datetime, per_service: bool
) -> _Data:
    site, tz = config.site.code, config.tz
    since = day_bounds_utc(p.start, tz)[0]
    until = min(day_bounds_utc(p.end, tz)[1], max(now, since))
    visits = load.visits(s, site, p.start, p.end, f)
    rated = load.ratings(s, site, p.start, p.end, f)
    # Idle time: desk sessions (with each desk's state at the start: it may have opened
    # days before), the numbers each desk handled and the tickets waiting, office-wide.
    desks = [f.desk] if f.desk else [d.id for d in config.desks]
    events = [e for d in desks for e in load.desk_state_at(s, site, since, d)]
    events += load.desk_events(s, site, since, until, f.desk)
    busy = load.busy_spans(s, site, p.start - timedelta(days=1), p.end)
    services = {f.service} if f.service else None
    # A number waits on its own day only: the numbering restarts each day and what is
    # left is cancelled when the day closes.
    waiting = [
        (svc, issued, min(left or until, day_bounds_utc(day, tz)[1]))
        for svc, day, issued, left in load.waiting_spans(s, site, p.start, p.end, services)
    ]
    desk_services = {d.id: set(d.services) & (services or set(d.services)) for d in config.desks}

    def clip(segs: Iterable[IdleSegment]) -> list[IdleSegment]:
        """Within the period, for the clerk asked, cut at local midnights (day rows)."""
        out = []
        for g in segs:
            a, b = max(g.start, since), min(g.end, until)
            if f.clerk is not None and g.clerk_id != f.clerk:
                continue
            while a < b:
                midnight = day_bounds_utc(local_day(a, tz), tz)[1]
                out.append(g._replace(start=a, end=min(b, midnight)))
                a = midnight
        return out

    idle = clip(idle_segments(events, busy, waiting, desk_services, until))
    by_service: dict[str, list[IdleSegment]] = {}
    if per_service:
        for svc in config.service_by_code if services is None else services:
            only = {d: {svc} & set(v) for d, v in desk_services.items()}
            by_service[svc] = clip(idle_segments(events, busy, waiting, only, until))
    return _Data(visits, rated, idle, by_service)


def _idle_s(segs: Iterable[IdleSegment]) -> float:
    return sum(g.seconds for g in segs)


def _week_key(d: date) -> str:
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
    def __init__(self, config: SiteConfig, p: Period, data: _Data) -> None:
        self.config, self.p, self.data = config, p, data
        self.tz = config.tz

    def _rows(
        self,
        keys: Sequence[tuple[str, str, str, date]],
        visit_key: Callable[[Visit], Any],
        rating_key: Callable[[Rated], Any],
        idle_of: Callable[[str], float],
    ) -> list[Row]:
        visits: dict[Any, list[Visit]] = defaultdict(list)
        for v in self.data.visits:
            visits[visit_key(v)].append(v)
        rated: dict[Any, list[Rated]] = defaultdict(list)
        for r in self.data.rated:
            rated[rating_key(r)].append(r)
        return [
            Row(
                key=key,
                label=label,
                label_en=label_en,
                figures=figures(
                    self.config,
                    visits.get(key, []),
                    rated.get(key, []),
                    idle_s=idle_of(key),
                    target_pct=self.config.target_for(last_day),
                ),
            )
            for key, label, label_en, last_day in keys
        ]

    def _idle_by(self, key: Callable[[IdleSegment], str]) -> Callable[[str], float]:
        sums: dict[str, float] = defaultdict(float)
        for g in self.data.idle:
            sums[key(g)] += g.seconds
        return lambda k: sums.get(k, 0.0)

    def _present(self, attr: str) -> set[str]:
        return {getattr(v, attr) for v in self.data.visits if getattr(v, attr)} | {
            getattr(r, attr) for r in self.data.rated if getattr(r, attr)
        }

    def clerk(self) -> list[Row]:
        cfg, end = self.config, self.p.end
        present = self._present("clerk_id") | {g.clerk_id for g in self.data.idle if g.clerk_id}
        order = [c.id for c in cfg.clerks if c.id in present] + sorted(
            present - set(cfg.clerk_by_id)
        )
        keys = [(c, cfg.clerk_by_id[c].name if c in cfg.clerk_by_id else c, "", end) for c in order]
        rows = self._rows(
            keys,
            lambda v: v.clerk_id,
            lambda r: r.clerk_id,
            self._idle_by(lambda g: g.clerk_id or ""),
        )
        return _rank(rows)

    def desk(self) -> list[Row]:
        cfg, end = self.config, self.p.end
        present = self._present("desk_id") | {g.desk_id for g in self.data.idle}
        order = [d.id for d in cfg.desks if d.id in present] + sorted(present - set(cfg.desk_by_id))
        keys = []
        for d in order:
            desk = cfg.desk_by_id.get(d)
            keys.append((d, desk.name if desk else d, f"Desk {desk.number}" if desk else d, end))
        return self._rows(
            keys, lambda v: v.desk_id, lambda r: r.desk_id, self._idle_by(lambda g: g.desk_id)
        )

    def service(self) -> list[Row]:
        cfg, end = self.config, self.p.end
        present = self._present("service")
        keys = [
            (svc.code, svc.name, svc.name_en or svc.name, end)
            for svc in cfg.services
            if svc.code in present
        ]
        idle = {k: _idle_s(v) for k, v in self.data.idle_by_service.items()}
        return _rank(
            self._rows(keys, lambda v: v.service, lambda r: r.service, lambda k: idle.get(k, 0))
        )

    def _local_day(self, g: IdleSegment) -> date:
        return g.start.astimezone(self.tz).date()

    def day(self) -> list[Row]:
        keys = [
            (d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%d/%m/%Y"), d)
            for d in self.p.day_list()
        ]
        return self._rows(
            keys,
            lambda v: v.day.isoformat(),
            lambda r: r.day.isoformat(),
            self._idle_by(lambda g: self._local_day(g).isoformat()),
        )

    def _buckets(self, key: Callable[[date], str]) -> list[tuple[str, date]]:
        last: dict[str, date] = {}
        for d in self.p.day_list():
            last[key(d)] = d
        return list(last.items())

    def week(self) -> list[Row]:
        keys = []
        for k, last in self._buckets(_week_key):
            year, week = k.split("-W")
            keys.append((k, f"Tuần {int(week)}/{year}", f"Week {int(week)}/{year}", last))
        return self._rows(
            keys,
            lambda v: _week_key(v.day),
            lambda r: _week_key(r.day),
            self._idle_by(lambda g: _week_key(self._local_day(g))),
        )

    def month(self) -> list[Row]:
        keys = []
        for k, last in self._buckets(_month_key):
            year, month = k.split("-")
            keys.append((k, f"Tháng {int(month)}/{year}", f"{int(month):02d}/{year}", last))
        return self._rows(
            keys,
            lambda v: _month_key(v.day),
            lambda r: _month_key(r.day),
            self._idle_by(lambda g: _month_key(self._local_day(g))),
        )


def heat_map(config: SiteConfig, visits: Sequence[Visit]) -> HeatMap:
    """Arrivals (new numbers) and mean wait of served visits, by weekday × local hour."""
    tz = config.tz
    arrivals = [[0] * 24 for _ in range(7)]
    wait_sum = [[0.0] * 24 for _ in range(7)]
    wait_n = [[0] * 24 for _ in range(7)]
    for v in visits:
        local = v.issued_at.astimezone(tz)
        wd, h = local.weekday(), local.hour
        if v.transferred_from is None:
            arrivals[wd][h] += 1
        if v.state == "done" and v.called_at is not None:
            wait_sum[wd][h] += (v.called_at - v.issued_at).total_seconds()
            wait_n[wd][h] += 1
    means = [
        [round(wait_sum[d][h] / wait_n[d][h], 1) if wait_n[d][h] else None for h in range(24)]
        for d in range(7)
    ]
    return HeatMap(arrivals=arrivals, wait_mean_s=means)


def _total(config: SiteConfig, p: Period, data: _Data) -> Figures:
    return figures(
        config,
        data.visits,
        data.rated,
        idle_s=_idle_s(data.idle),
        target_pct=config.target_for(p.end),
    )


def _compare(s: Session, config: SiteConfig, p: Period, f: Filters, now: datetime) -> Comparison:
    data = _load(s, config, p, f, now, per_service=False)
    return Comparison(period=period_out(p), figures=_total(config, p, data))


def build_report(
    s: Session,
    config: SiteConfig,
    period: Period,
    filters: Filters | None = None,
    *,
    compare: bool = True,
    by: Iterable[str] = BY_VALUES,
    now: datetime | None = None,
) -> Report:
    """Every figure of ``period`` (local days of the site), narrowed by ``filters``."""
    f = filters or Filters()
    check_filters(config, f)
    now = now or now_utc()
    data = _load(s, config, period, f, now, per_service="service" in by)
    parts = _Breakdowns(config, period, data)
    years = range(period.start.year, period.end.year + 1)
    letters = load.letters(s, config.site.code, period.start, period.end, f)
    return Report(
        site=config.site.code,
        office=config.site.name,
        office_en=config.site.name_en,
        period=period_out(period),
        filters=f,
        generated_at=now.astimezone(UTC),
        timezone=config.site.timezone,
        total=_total(config, period, data),
        previous=_compare(s, config, period.previous(), f, now) if compare else None,
        last_year=_compare(s, config, period.last_year(), f, now) if compare else None,
        by={b: getattr(parts, b)() for b in BY_VALUES if b in by},
        heatmap=heat_map(config, data.visits),
        flags=find_flags(data.rated),
        letters=Letters(apology=letters.get("apology", 0), thanks=letters.get("thanks", 0)),
        targets={y: t for y in years if (t := config.target_for(date(y, 12, 31))) is not None},
    )
