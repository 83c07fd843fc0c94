"""What a report across offices holds: the contract between the figures
(`hub.reports.compute`), the page and the exports.

``Figures`` is the office report's own model (`server.reports.model.Figures`): the same
figures under the same names, per office, per group and for the province.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from server.reports.model import Figures, OfficialTable, PeriodOut

Level = Literal["office", "group", "province"]
LEVELS: tuple[Level, ...] = ("office", "group", "province")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class OfficeLine(_Out):
    """One office's figures over the period."""

    code: str
    name: str
    group: str
    figures: Figures
    #: 1 = best satisfaction %; equal figures share a rank; None without ratings.
    rank: int | None = None
    #: False: the hub has not heard the office's configuration yet (no pulse): its
    #: figures cannot be computed and are left empty (the office is still listed).
    configured: bool = True


class GroupLine(_Out):
    """A group of offices (a former district, a cluster): the sums of its offices."""

    name: str
    #: The codes of its offices, in the report's order.
    offices: list[str]
    figures: Figures
    rank: int | None = None


class HubReport(_Out):
    hub: str
    period: PeriodOut
    generated_at: datetime
    timezone: str
    #: Ranked (best satisfaction first; offices without ratings last, by name).
    offices: list[OfficeLine]
    #: None for an office supervisor (an account scoped to one office).
    groups: list[GroupLine] | None = None
    province: Figures | None = None
    #: The hub's target for the period's year (the groups' and the province's).
    target_pct: float | None = None
    #: The one office an office supervisor sees (None: a hub-wide account).
    scope: str | None = None


class OfficeOfficial(_Out):
    """The official table of one office ("Bảng tổng hợp kết quả đánh giá sự hài lòng")."""

    code: str
    group: str
    table: OfficialTable
