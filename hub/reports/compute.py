"""The figures of a period across offices.

Each office's figures are the office report's own (`server.reports`): the facts of its
local days (from the daily roll-ups where settled, else from the raw rows: `Rollups`,
`raw_facts`), read from the office's rows in the hub database with the office's own
configuration (`hub.offices.office_site_config`), merged into one `Tally` and turned
into `Figures` exactly as the office's report does for its whole period.

A group's and the province's figures are not averages of the offices' percentages: the
offices' tallies are merged (counts added, the waiting and service times pooled) and
every figure is computed from the merge, so satisfaction % = Σ satisfied ÷ Σ ratings,
response rate = Σ ratings ÷ Σ served, the median and P90 wait are those of every visit
of the group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.config import HubConfig
from hub.offices import office_site_config
from hub.reports.model import GroupLine, HubReport, OfficeLine
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import OfficeRow
from server.reports.compute import Tally
from server.reports.facts import Facts, raw_facts
from server.reports.figures import period_out
from server.reports.model import Figures, Filters
from server.reports.period import Period
from server.reports.rollup import Rollups
from server.timeutil import now_utc

#: A total with fewer ratings is flagged as a small sample (the offices' default).
SMALL_SAMPLE = 30


@dataclass(frozen=True)
class Office:
    """An office the hub knows, with its configuration (None before its first pulse)."""

    code: str
    name: str
    group: str
    config: SiteConfig | None


@dataclass
class OfficeFacts:
    """One office's facts over a period, and their merge."""

    office: Office
    facts: Facts = field(default_factory=Facts)
    tally: Tally = field(default_factory=Tally)
    #: Seconds a desk was idle while someone it serves waited (any service).
    idle_s: float = 0.0

    def figures(self, period: Period) -> Figures:
        cfg = self.office.config
        if cfg is None:
            return Figures()
        return self.tally.figures(cfg, idle_s=self.idle_s, target_pct=cfg.target_for(period.end))


def load_offices(s: Session, codes: Iterable[str] | None = None) -> list[Office]:
    """The offices (all, or those of ``codes``), by group then code."""
    q = select(OfficeRow).order_by(OfficeRow.group_name, OfficeRow.code)
    if codes is not None:
        q = q.where(OfficeRow.code.in_(list(codes)))
    return [
        Office(row.code, row.name, row.group_name or "", office_site_config(row))
        for row in s.scalars(q)
    ]


def office_facts(
    db: Database,
    s: Session,
    office: Office,
    period: Period,
    now: datetime,
    *,
    rollups: bool = True,
) -> OfficeFacts:
    """The facts of ``office`` over ``period`` (nothing without its configuration)."""
    out = OfficeFacts(office)
    cfg = office.config
    if cfg is None:
        return out
    if rollups:
        facts = Rollups(db, cfg).facts(s, period.start, period.end, now)
    else:
        facts = raw_facts(s, cfg, period.start, period.end, now)
    out.facts = facts.select(Filters())
    for t in out.facts.tallies.values():
        out.tally.merge(t)
    out.idle_s = sum(v for k, v in out.facts.idle.items() if k.service is None)
    return out


def ranks(values: Sequence[float | None]) -> list[int | None]:
    """Rank 1 = highest; equal values share a rank; None (no ratings): no rank."""
    ordered = sorted((v for v in values if v is not None), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(ordered, start=1):
        first.setdefault(v, i)
    return [None if v is None else first[v] for v in values]


def _ranked_order(rank: int | None, name: str, code: str) -> tuple[int, str, str]:
    return (rank if rank is not None else 1_000_000, name, code)


def merged(parts: Iterable[OfficeFacts], target_pct: float | None) -> Figures:
    """The figures of several offices from their merged tallies (see the module)."""
    tally = Tally()
    idle = 0.0
    config: SiteConfig | None = None
    for p in parts:
        tally.merge(p.tally)
        idle += p.idle_s
        config = config or p.office.config
    if config is None:
        return Figures(target_pct=target_pct)
    f = tally.figures(config, idle_s=idle, target_pct=target_pct)
    return f.model_copy(update={"small_sample": f.ratings < SMALL_SAMPLE})


def office_lines(parts: Sequence[OfficeFacts], period: Period) -> list[OfficeLine]:
    figures = [p.figures(period) for p in parts]
    order = ranks([f.satisfaction_pct for f in figures])
    lines = [
        OfficeLine(
            code=p.office.code,
            name=p.office.name,
            group=p.office.group,
            figures=f,
            rank=r,
            configured=p.office.config is not None,
        )
        for p, f, r in zip(parts, figures, order, strict=True)
    ]
    return sorted(lines, key=lambda line: _ranked_order(line.rank, line.name, line.code))


def group_lines(parts: Sequence[OfficeFacts], target_pct: float | None) -> list[GroupLine]:
    by_group: dict[str, list[OfficeFacts]] = defaultdict(list)
    for p in parts:
        by_group[p.office.group].append(p)
    figures = {g: merged(members, target_pct) for g, members in by_group.items()}
    names = list(by_group)
    order = ranks([figures[g].satisfaction_pct for g in names])
    lines = [
        GroupLine(
            name=g,
            offices=[m.office.code for m in by_group[g]],
            figures=figures[g],
            rank=r,
        )
        for g, r in zip(names, order, strict=True)
    ]
    return sorted(lines, key=lambda line: _ranked_order(line.rank, line.name, ""))


def all_facts(
    db: Database,
    period: Period,
    codes: Iterable[str] | None,
    now: datetime,
    *,
    rollups: bool = True,
) -> list[OfficeFacts]:
    """Every office's facts (``codes``: only those; None: every office)."""
    with db.read() as s:
        offices = load_offices(s, codes)
        return [office_facts(db, s, o, period, now, rollups=rollups) for o in offices]


def scoped(codes: Iterable[str] | None, scope: str | None) -> list[str] | None:
    """The offices a report covers: ``codes`` (None: all), only ``scope`` if set."""
    if scope is None:
        return None if codes is None else list(codes)
    return [c for c in (codes if codes is not None else [scope]) if c == scope]


def hub_report(
    parts: Sequence[OfficeFacts],
    hub: HubConfig,
    period: Period,
    *,
    scope: str | None,
    now: datetime,
) -> HubReport:
    """The report of the offices' facts: per office; per group and for the whole too,
    unless ``scope`` (an office supervisor's office) is set."""
    target = hub.target_for(period.end.year)
    return HubReport(
        hub=hub.name,
        period=period_out(period),
        generated_at=now.astimezone(UTC),
        timezone=hub.timezone,
        offices=office_lines(parts, period),
        groups=None if scope is not None else group_lines(parts, target),
        province=None if scope is not None else merged(parts, target),
        target_pct=target,
        scope=scope,
    )


def build_hub_report(
    db: Database,
    hub: HubConfig,
    period: Period,
    codes: Iterable[str] | None = None,
    *,
    scope: str | None = None,
    now: datetime | None = None,
    rollups: bool = True,
) -> HubReport:
    """The figures of ``period`` for the offices of ``codes`` (None: all), per office,
    per group and for the whole; ``scope`` (an office supervisor's office) limits the
    report to that office, without the group and province totals."""
    now = now or now_utc()
    parts = all_facts(db, period, scoped(codes, scope), now, rollups=rollups)
    return hub_report(parts, hub, period, scope=scope, now=now)


def made_on(hub: HubConfig, now: datetime | None = None) -> date:
    """Today on the hub's clock (the date above the official tables' signatures)."""
    return (now or now_utc()).astimezone(ZoneInfo(hub.timezone)).date()
