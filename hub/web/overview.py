"""The province overview's figures: every office an account may see, online or not, its
last contact, waiting now, served today, satisfaction today against the year's target,
alerts and backlog; totals per group and for the province.

One query per figure for all offices (``GROUP BY site``), whatever their number: the
page is refreshed every few seconds by every open browser. Each query names the sites
(``site IN (…)``) so PostgreSQL walks the ``(site, day, …)`` indexes instead of a year
of every office's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hub.config import HubConfig
from hub.web.deps import HubViewer
from protocol.codes import TicketState
from protocol.conduct import Level
from server.db.tables import OfficeRow, RatingRow, TicketRow
from server.timeutil import fmt_local, local_day

_T = TicketRow.__table__.c
_R = RatingRow.__table__.c


class Alert(BaseModel):
    code: str
    vi: str
    en: str


class Figures(BaseModel):
    """What is summed over offices (a group, the province)."""

    offices: int = 0
    online: int = 0
    waiting: int = 0
    served: int = 0
    ratings: int = 0
    satisfied: int = 0
    satisfaction_pct: float | None = None
    alerts: int = 0
    backlog: int = 0

    def add(self, o: OfficeFigures) -> None:
        self.offices += 1
        self.online += int(o.online)
        self.waiting += o.waiting
        self.served += o.served
        self.ratings += o.ratings
        self.satisfied += o.satisfied
        self.alerts += len(o.alerts)
        self.backlog += o.backlog
        self.satisfaction_pct = pct(self.satisfied, self.ratings)


class OfficeFigures(BaseModel):
    code: str
    name: str
    group: str
    online: bool
    #: The bridge's own word (None: not heard yet).
    link_up: bool | None
    last_contact: datetime | None
    #: ``last_contact`` as dd/mm/yyyy HH:MM in the hub's time zone ("" if never).
    last_contact_text: str
    waiting: int
    served: int
    ratings: int
    satisfied: int
    satisfaction_pct: float | None
    target_pct: float | None
    alerts: list[Alert]
    #: Facts the office has committed that the hub has not yet receipted.
    backlog: int


class GroupFigures(BaseModel):
    name: str
    codes: list[str]
    figures: Figures


class Overview(BaseModel):
    generated_at: datetime
    generated_text: str
    day: date
    year: int
    #: The hub's own target for the year (an office may have its own).
    target_pct: float | None
    offices: list[OfficeFigures]
    groups: list[GroupFigures]
    total: Figures


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def office_target(config: Mapping[str, Any] | None, year: int) -> float | None:
    """The year's target from an office's own ``rating.targets`` (as `SiteConfig.target_for`
    reads them), or None when the office sent none."""
    rating = (config or {}).get("rating")
    if not isinstance(rating, Mapping):
        return None
    raw = rating.get("targets")
    targets = {int(k): float(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
    if year in targets:
        return targets[year]
    if targets and year < min(targets):
        return None
    default = rating.get("target_default")
    if isinstance(default, int | float):
        return float(default)
    return targets[max(targets)] if targets else None


def is_online(row: OfficeRow, now: datetime, offline_after_s: int) -> bool:
    """Online: the bridge does not say it is down, and something came recently."""
    if row.link_up is False:
        return False
    last = last_contact(row)
    return last is not None and now - last <= timedelta(seconds=offline_after_s)


def last_contact(row: OfficeRow) -> datetime | None:
    seen = [t for t in (row.pulse_at, row.fact_at) if t is not None]
    return max(seen) if seen else None


def pulse_alerts(pulse: Mapping[str, Any] | None) -> list[Alert]:
    out = []
    for a in (pulse or {}).get("alerts") or []:
        if isinstance(a, Mapping):
            out.append(
                Alert(code=str(a.get("code", "")), vi=str(a.get("vi", "")), en=str(a.get("en", "")))
            )
    return out


def pulse_backlog(pulse: Mapping[str, Any] | None) -> int:
    backlog = (pulse or {}).get("backlog")
    if not isinstance(backlog, Mapping):
        return 0
    return sum(int(v) for v in backlog.values() if isinstance(v, int | float))


def _ticket_counts(s: Session, codes: list[str], day: date) -> dict[tuple[str, str], int]:
    rows = s.execute(
        select(_T.site, _T.state, func.count())
        .where(
            _T.site.in_(codes),
            _T.day == day,
            _T.state.in_([TicketState.ISSUED.value, TicketState.DONE.value]),
        )
        .group_by(_T.site, _T.state)
    ).all()
    return {(site, str(state)): int(n) for site, state, n in rows}


def _rating_counts(s: Session, codes: list[str], day: date) -> dict[str, tuple[int, int]]:
    good = case((_R.level.in_([Level.VERY_SATISFIED.value, Level.SATISFIED.value]), 1), else_=0)
    rows = s.execute(
        select(_R.site, func.count(), func.sum(good))
        .where(_R.site.in_(codes), _R.day == day)
        .group_by(_R.site)
    ).all()
    return {site: (int(n), int(sat or 0)) for site, n, sat in rows}


def overview(s: Session, config: HubConfig, viewer: HubViewer, now: datetime) -> Overview:
    """The overview as ``viewer`` may see it, at ``now``."""
    tz = ZoneInfo(config.timezone)
    day = local_day(now, tz)
    q = select(OfficeRow).order_by(OfficeRow.group_name, OfficeRow.name, OfficeRow.code)
    if viewer.site is not None:
        q = q.where(OfficeRow.code == viewer.site)
    rows = list(s.scalars(q))
    codes = [r.code for r in rows]
    tickets = _ticket_counts(s, codes, day) if codes else {}
    ratings = _rating_counts(s, codes, day) if codes else {}
    hub_target = config.target_for(day.year)
    offices = []
    for r in rows:
        n, sat = ratings.get(r.code, (0, 0))
        last = last_contact(r)
        own = office_target(r.config, day.year)
        offices.append(
            OfficeFigures(
                code=r.code,
                name=r.name,
                group=r.group_name,
                online=is_online(r, now, config.offline_after_s),
                link_up=r.link_up,
                last_contact=last,
                last_contact_text=fmt_local(last, tz) if last else "",
                waiting=tickets.get((r.code, TicketState.ISSUED.value), 0),
                served=tickets.get((r.code, TicketState.DONE.value), 0),
                ratings=n,
                satisfied=sat,
                satisfaction_pct=pct(sat, n),
                target_pct=own if own is not None else hub_target,
                alerts=pulse_alerts(r.pulse),
                backlog=pulse_backlog(r.pulse),
            )
        )
    return Overview(
        generated_at=now,
        generated_text=fmt_local(now, tz),
        day=day,
        year=day.year,
        target_pct=hub_target,
        offices=offices,
        groups=group_figures(offices),
        total=total_of(offices),
    )


def total_of(offices: Iterable[OfficeFigures]) -> Figures:
    total = Figures()
    for o in offices:
        total.add(o)
    return total


def group_figures(offices: list[OfficeFigures]) -> list[GroupFigures]:
    groups: dict[str, GroupFigures] = {}
    for o in offices:
        g = groups.setdefault(o.group, GroupFigures(name=o.group, codes=[], figures=Figures()))
        g.codes.append(o.code)
        g.figures.add(o)
    return sorted(groups.values(), key=lambda g: (g.name == "", g.name))
