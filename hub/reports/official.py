"""The official table of one office ("Bảng tổng hợp kết quả đánh giá sự hài lòng"), made
by the office's own code (`server.reports.official.official_table`) from the office's
clerk rows, themselves computed from its facts as the office's report computes them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from hub.reports.compute import OfficeFacts
from hub.reports.model import OfficeOfficial
from server.config import SiteConfig
from server.reports.compute import Tally
from server.reports.facts import Facts
from server.reports.figures import period_out
from server.reports.model import Filters, HeatMap, Letters, Report, Row
from server.reports.official import official_table
from server.reports.period import Period


def clerk_rows(cfg: SiteConfig, period: Period, facts: Facts) -> list[Row]:
    """One row per clerk (one person across desks): the clerks of the configuration in
    its order, then anyone else seen in the rows (a clerk since removed), by id."""
    tallies: dict[str | None, Tally] = defaultdict(Tally)
    for key, tally in facts.tallies.items():
        tallies[key.clerk_id].merge(tally)
    idle: dict[str, float] = defaultdict(float)
    for ik, seconds in facts.idle.items():
        if ik.service is None and ik.clerk_id:
            idle[ik.clerk_id] += seconds
    present = {c for c in tallies if c} | set(idle)
    order = [c.id for c in cfg.clerks if c.id in present]
    order += sorted(present - set(cfg.clerk_by_id))
    target = cfg.target_for(period.end)
    return [
        Row(
            key=c,
            label=cfg.clerk_by_id[c].name if c in cfg.clerk_by_id else c,
            figures=tallies[c].figures(cfg, idle_s=idle.get(c, 0.0), target_pct=target),
        )
        for c in order
    ]


def office_official(
    part: OfficeFacts, period: Period, lang: str, made_on: date, now: datetime
) -> OfficeOfficial | None:
    """The office's official table of ``period`` (None: no configuration heard yet)."""
    cfg = part.office.config
    if cfg is None:
        return None
    report = Report(
        site=cfg.site.code,
        office=part.office.name or cfg.site.name,
        office_en=cfg.site.name_en,
        period=period_out(period),
        filters=Filters(),
        generated_at=now.astimezone(UTC),
        timezone=cfg.site.timezone,
        total=part.figures(period),
        by={"clerk": clerk_rows(cfg, period, part.facts)},
        heatmap=HeatMap(arrivals=[], wait_mean_s=[]),
        flags=[],
        letters=Letters(),
        targets={},
    )
    table = official_table(report, cfg, lang, made_on=made_on)
    return OfficeOfficial(code=part.office.code, group=part.office.group, table=table)
