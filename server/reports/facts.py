"""The facts a report is made of, per local day: tallies of visits and ratings per
(day, desk, clerk, service, rating source) and idle seconds per (day, desk, clerk,
service). Every figure of any period, filter and breakdown is a merge of those; they
are the same whether computed from the raw rows (`raw_facts`) or read back from the
daily roll-ups (`server.reports.rollup`), which keeps a year's report fast.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.reports import load
from server.reports.compute import Tally, target_waits
from server.reports.idle import IdleSegment, idle_segments
from server.reports.model import Filters
from server.timeutil import day_bounds_utc

#: Visits are tallied under this source; ratings under theirs (pad, kiosk, phone).
VISITS = ""


class FineKey(NamedTuple):
    day: str
    desk_id: str | None
    clerk_id: str | None
    service: str
    source: str


class IdleKey(NamedTuple):
    day: str
    desk_id: str
    clerk_id: str | None
    #: Idle while someone of this service waited; None: anyone the desk serves.
    service: str | None


@dataclass
class Facts:
    tallies: dict[FineKey, Tally] = field(default_factory=lambda: defaultdict(Tally))
    idle: dict[IdleKey, float] = field(default_factory=lambda: defaultdict(float))

    def update(self, other: Facts) -> None:
        """Add ``other`` (whose tallies this one may take over: ``other`` is done)."""
        mine = self.tallies
        for k, t in other.tallies.items():
            if k in mine:
                mine[k].merge(t)
            else:
                mine[k] = t
        for ik, v in other.idle.items():
            self.idle[ik] += v

    def select(self, f: Filters) -> Facts:
        """The facts a filter keeps (a source filter narrows ratings, not visits), with
        one tally per (day, desk, clerk, service): the breakdowns ignore the source, and
        fewer tallies are fewer merges. Takes over (and may change) this one's tallies."""
        out = Facts()
        mine = out.tallies
        for k, t in self.tallies.items():
            if (
                (f.service is None or k.service == f.service)
                and (f.desk is None or k.desk_id == f.desk)
                and (f.clerk is None or k.clerk_id == f.clerk)
                and (f.source is None or k.source in (VISITS, f.source))
            ):
                key = k._replace(source=VISITS)
                if key in mine:
                    mine[key].merge(t)
                else:
                    mine[key] = t
        for ik, v in self.idle.items():
            if (
                (f.service is None or ik.service == f.service)
                and (f.desk is None or ik.desk_id == f.desk)
                and (f.clerk is None or ik.clerk_id == f.clerk)
            ):
                out.idle[ik] = v  # with each service's own idle time, for service rows
        return out

    def by_day(self) -> dict[str, Facts]:
        out: dict[str, Facts] = defaultdict(Facts)
        for k, t in self.tallies.items():
            out[k.day].tallies[k] = t
        for ik, v in self.idle.items():
            out[ik.day].idle[ik] = v
        return out

    # ------------------------------------------------------------------ storage

    def to_json(self) -> dict[str, Any]:
        return {
            "tallies": [[*k, t.to_json()] for k, t in self.tallies.items()],
            "idle": [[*k, v] for k, v in self.idle.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facts:
        out = cls()
        for *key, t in data["tallies"]:
            out.tallies[FineKey(*key)] = Tally.from_json(t)
        for *key, v in data["idle"]:
            out.idle[IdleKey(*key)] = v
        return out


class DayClock:
    """Local midnights of some days, in epoch seconds: which local day an instant falls
    in, without a datetime per row."""

    def __init__(self, config: SiteConfig, first: date, last: date) -> None:
        tz = config.tz
        days = [first + timedelta(days=i) for i in range(-1, (last - first).days + 2)]
        self.days = [d.isoformat() for d in days]
        self.starts = [day_bounds_utc(d, tz)[0].timestamp() for d in days]
        self.ends = {d.isoformat(): day_bounds_utc(d, tz)[1].timestamp() for d in days}

    def day_of(self, at: float) -> str:
        return self.days[max(0, bisect.bisect_right(self.starts, at) - 1)]


def raw_facts(s: Session, config: SiteConfig, first: date, last: date, now: datetime) -> Facts:
    """The facts of the local days ``first`` … ``last``, from the raw rows."""
    site, tz = config.site.code, config.tz
    since_dt = day_bounds_utc(first, tz)[0]
    until_dt = min(day_bounds_utc(last, tz)[1], max(now, since_dt))
    since, until = since_dt.timestamp(), until_dt.timestamp()
    clock = DayClock(config, first, last)
    lo = first.isoformat()
    facts = Facts()
    targets = target_waits(config)
    # The office's tickets from the day before too: a number called before midnight
    # may still be in hand after it.
    tickets = load.visits(s, site, first - timedelta(days=1), last)
    for v in tickets:
        if v.day >= lo:
            tally = facts.tallies[FineKey(v.day, v.desk_id, v.clerk_id, v.service, VISITS)]
            tally.add_visit(
                v, targets.get(v.service, 15 * 60.0), datetime.fromtimestamp(v.issued, tz).hour
            )
    for r in load.ratings(s, site, first, last, Filters()):
        facts.tallies[FineKey(r.day, r.desk_id, r.clerk_id, r.service, r.source)].add_rating(r)

    # Idle time: desk sessions (with each desk's state at the start: it may have opened
    # days before), the numbers each desk handled and the tickets waiting. A number waits
    # on its own day only: the numbering restarts each day and what is left is cancelled
    # when the day closes.
    events = [e for d in config.desks for e in load.desk_state_at(s, site, since_dt, d.id)]
    events += load.desk_events(s, site, since_dt, until_dt, None)
    busy = [(v.desk_id, v.first_called, v.ended) for v in tickets if v.desk_id and v.first_called]
    waiting: list[tuple[str, float, float | None]] = [
        (v.service, v.issued, min(v.first_called or v.ended or until, clock.ends[v.day]))
        for v in tickets
        if v.day >= lo
    ]
    desk_services = {d.id: set(d.services) for d in config.desks}
    total, by_service = idle_segments(events, busy, waiting, desk_services, until, per_service=True)

    def add(segments: Iterable[IdleSegment], service: str | None) -> None:
        """Within the days, cut at local midnights."""
        for desk, clerk, a, b in segments:
            a, b = max(a, since), min(b, until)
            while a < b:
                day = clock.day_of(a)
                end = min(b, clock.ends[day])
                facts.idle[IdleKey(day, desk, clerk, service)] += end - a
                a = end

    add(total, None)
    for service, segments in by_service.items():
        add(segments, service)
    return facts
