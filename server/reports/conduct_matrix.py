"""Conduct items per clerk or per service: how often each 4 Xin / 4 Luôn item was
praised, and each 5 Không / missed item given as a reason for dissatisfaction, as a
table (items × clerks or services) the xlsx and the PDF print alike (the page builds the
same table in ``static/reports.js`` from the report it loads).

Items are sorted Pareto by their total (most frequent first; ties: the conduct model's
order); columns are the rows of ``report.by[by]``, in that order; the total of an item
is the sum of its columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocol.conduct import CONDUCT_ITEMS, PRAISE_CODES
from protocol.i18n import localized
from server.reports.model import Report, Row
from server.reports.wording import Pair, pick

Kind = Literal["reasons", "praised"]
MatrixBy = Literal["clerk", "service"]

TITLES: dict[tuple[Kind, MatrixBy], Pair] = {
    ("reasons", "clerk"): (
        "Lý do không hài lòng theo cán bộ",
        "Reasons for dissatisfaction by clerk",
    ),
    ("praised", "clerk"): ("Điều được khen theo cán bộ", "What was praised by clerk"),
    ("reasons", "service"): (
        "Lý do không hài lòng theo lĩnh vực",
        "Reasons for dissatisfaction by service",
    ),
    ("praised", "service"): ("Điều được khen theo lĩnh vực", "What was praised by service"),
}

_ORDER = {item.code: i for i, item in enumerate(CONDUCT_ITEMS)}


def item_codes(kind: Kind) -> list[str]:
    """Every item a citizen may give: all 13 as reasons, the 8 4 Xin / 4 Luôn as praise."""
    if kind == "praised":
        return [i.code for i in CONDUCT_ITEMS if i.code in PRAISE_CODES]
    return [i.code for i in CONDUCT_ITEMS]


@dataclass(frozen=True)
class ConductMatrix:
    kind: Kind
    by: MatrixBy
    #: Item codes, most frequent first.
    codes: list[str]
    #: The clerks or services, in the order of ``report.by[by]``.
    columns: list[Row]
    #: ``counts[i][j]``: times item ``codes[i]`` was given for ``columns[j]``.
    counts: list[list[int]]
    #: Per item: the sum of its row.
    totals: list[int]

    def title(self, lang: str) -> str:
        return pick(TITLES[(self.kind, self.by)], lang)

    def heads(self, lang: str) -> list[str]:
        """Column heads: the clerks' or services' names (English ones when known)."""
        return [localized(r.label, r.label_en, lang) for r in self.columns]


def conduct_matrix(report: Report, kind: Kind, by: MatrixBy) -> ConductMatrix:
    columns = list(report.by.get(by, []))
    per_code = {
        code: [getattr(row.figures, kind).get(code, 0) for row in columns]
        for code in item_codes(kind)
    }
    codes = sorted(per_code, key=lambda c: (-sum(per_code[c]), _ORDER[c]))
    counts = [per_code[c] for c in codes]
    return ConductMatrix(kind, by, codes, columns, counts, [sum(line) for line in counts])
