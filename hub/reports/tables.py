"""Each level of a report across offices as a table: the lead columns (rank, office,
group …) and the office report's figure columns (`server.reports.columns`), so the page,
the xlsx and the CSV show the same numbers under the same Vietnamese headers."""

from __future__ import annotations

from dataclasses import dataclass

from hub.reports.model import HubReport, Level
from hub.reports.wording import CODE, GROUP, OFFICE, OFFICES, RANK, WHOLE, group_name
from server.reports.columns import FIGURE_COLUMNS, Value
from server.reports.model import Figures
from server.reports.wording import pick


@dataclass(frozen=True)
class Line:
    lead: list[Value]
    figures: Figures
    #: The office's code (office lines), for links to its official table.
    code: str | None = None


@dataclass(frozen=True)
class LevelTable:
    lead_headers: list[str]
    lines: list[Line]

    def headers(self, lang: str) -> list[str]:
        return self.lead_headers + [c.header(lang) for c in FIGURE_COLUMNS]

    def rows(self, lang: str) -> list[list[Value]]:
        return [
            line.lead + [c.value(line.figures, lang) for c in FIGURE_COLUMNS] for line in self.lines
        ]


def levels_of(report: HubReport) -> list[Level]:
    """The levels a report holds (an office supervisor's: the office level only)."""
    if report.groups is None or report.province is None:
        return ["office"]
    return ["office", "group", "province"]


def level_table(report: HubReport, level: Level, lang: str) -> LevelTable:
    if level == "group" and report.groups is not None:
        return LevelTable(
            [pick(RANK, lang), pick(GROUP, lang), pick(OFFICES, lang)],
            [
                Line([g.rank, group_name(g.name, lang), len(g.offices)], g.figures)
                for g in report.groups
            ],
        )
    if level == "province" and report.province is not None:
        return LevelTable(
            [pick(OFFICE, lang), pick(OFFICES, lang)],
            [Line([pick(WHOLE, lang), len(report.offices)], report.province)],
        )
    return LevelTable(
        [pick(RANK, lang), pick(CODE, lang), pick(OFFICE, lang), pick(GROUP, lang)],
        [
            Line([o.rank, o.code, o.name, group_name(o.group, lang)], o.figures, o.code)
            for o in report.offices
        ],
    )
