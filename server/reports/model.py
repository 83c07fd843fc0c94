"""What a report holds: the contract between the figures (`server.reports.figures`), the
page and its JSON API, and the exports (xlsx, PDF, CSV).

Times are seconds; percentages are 0–100 with one decimal, ``None`` where the divisor is
zero (no ratings, nothing served): a report never shows 0 % for "no data".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

By = Literal["clerk", "desk", "service", "day", "week", "month"]
BY_VALUES: tuple[By, ...] = ("clerk", "desk", "service", "day", "week", "month")
Source = Literal["pad", "kiosk", "phone"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class TimeStats(_Out):
    """Durations in seconds over ``count`` visits."""

    count: int = 0
    mean_s: float | None = None
    median_s: float | None = None
    p90_s: float | None = None


class Figures(_Out):
    """Every figure of one slice (the whole period, a clerk, a desk, a service, a day…).

    Visits are counted by the local day they were issued; ratings by the local day
    they were given (``ratings.day``); a rating's clerk, desk and service are the
    visit's.
    """

    # visits
    issued: int = 0
    served: int = 0
    no_show: int = 0
    transferred: int = 0
    cancelled: int = 0
    #: Issued in the period but never served: cancelled at day close, or still waiting.
    carried_over: int = 0
    #: Waiting time = last call − issue, of served visits.
    wait: TimeStats = TimeStats()
    #: Service time = end − start, of served visits.
    service: TimeStats = TimeStats()
    #: % of served visits called within their service's ``target_wait_minutes``.
    service_level_pct: float | None = None
    #: Seconds a desk was open, not paused and free while a ticket it could call waited.
    idle_while_waiting_s: float = 0
    # ratings
    ratings: int = 0
    satisfied: int = 0
    #: (Rất hài lòng + Hài lòng) ÷ ratings × 100.
    satisfaction_pct: float | None = None
    #: Ratings ÷ served × 100: the "100 % asked" target.
    response_rate_pct: float | None = None
    partial: int = 0
    #: Official levels: very_satisfied / satisfied / dissatisfied.
    levels: dict[str, int] = Field(default_factory=dict)
    #: As pressed on 4- and 5-face pads (neutral, very_dissatisfied…), beside ``levels``.
    raw_levels: dict[str, int] = Field(default_factory=dict)
    #: Conduct item code → times praised (4 Xin / 4 Luôn) …
    praised: dict[str, int] = Field(default_factory=dict)
    #: … and times given as a reason for dissatisfaction (5 Không / missed items).
    reasons: dict[str, int] = Field(default_factory=dict)
    by_source: dict[str, int] = Field(default_factory=dict)
    #: The yearly target (of the slice's last day) and whether it is met.
    target_pct: float | None = None
    meets_target: bool | None = None
    #: Fewer ratings than ``rating.small_sample``: shown, flagged, never hidden.
    small_sample: bool = True


class Row(_Out):
    """One line of a breakdown: a clerk, desk, service, or a day / week / month."""

    key: str
    label: str
    label_en: str = ""
    figures: Figures
    #: 1 = best satisfaction % (clerk and service breakdowns; None without ratings).
    rank: int | None = None


class PeriodOut(_Out):
    code: str
    kind: str
    start: date
    end: date
    label: str
    label_en: str


class Comparison(_Out):
    period: PeriodOut
    figures: Figures


class HeatMap(_Out):
    """Weekday (0 = Monday) × hour (0–23, local time) of issue."""

    arrivals: list[list[int]]
    #: Mean waiting time in seconds of the visits served from that cell (None: none).
    wait_mean_s: list[list[float | None]]


class Flag(_Out):
    """A suspicious pattern: flagged for a person to look at, never deleted."""

    kind: Literal["burst", "too_perfect", "phantom_service"]
    desk_id: str | None = None
    clerk_id: str | None = None
    #: Ratings concerned.
    count: int
    first_at: datetime
    last_at: datetime
    #: Satisfaction % of the period without these ratings − with them (points).
    delta_pct: float | None = None
    detail: str
    detail_en: str


class Letters(_Out):
    apology: int = 0
    thanks: int = 0


class SuggestionCounts(_Out):
    """Suggestions (hòm thư góp ý) received in the period, and how many of those a
    supervisor has handled by the time the report is made."""

    received: int = 0
    handled: int = 0
    open: int = 0


class Comment(_Out):
    """A citizen's own words given with a rating (the phone's form), with its visit."""

    #: When the rating was given (``ratings.sent_at``).
    at: datetime
    number: str
    service: str
    desk_id: str | None = None
    clerk_id: str | None = None
    level: str
    level_raw: str
    source: str
    text: str


class Suggestion(_Out):
    """A note of the suggestion box. ``contact`` is personal data the citizen chose to
    give so the office can answer: shown to supervisors (page, xlsx, CSV), never printed
    in the PDF (which may be posted publicly)."""

    received_at: datetime
    service: str | None = None
    text: str
    contact: str | None = None
    handled_at: datetime | None = None
    handled_note: str | None = None


class Citizens(_Out):
    """ "Ý kiến của công dân": the comments of the period's ratings (the report's
    filters apply) and the suggestions received in the period.

    Suggestions name at most a service: a service filter narrows them; with a desk,
    clerk or source filter they are left out (``suggestions`` is None), since they are
    not about a desk, a clerk or a rating source — a report narrowed to one clerk shows
    no letters that may be about someone else."""

    #: At most `server.reports.citizens.MAX_ITEMS`, oldest first.
    comments: list[Comment] = Field(default_factory=list)
    #: Every comment of the period under the filters (more than listed when bounded).
    comments_total: int = 0
    suggestions: SuggestionCounts | None = None
    #: At most `server.reports.citizens.MAX_ITEMS`, oldest first.
    suggestion_items: list[Suggestion] = Field(default_factory=list)


class Filters(_Out):
    service: str | None = None
    desk: str | None = None
    clerk: str | None = None
    source: Source | None = None


class Report(_Out):
    site: str
    office: str
    office_en: str = ""
    period: PeriodOut
    filters: Filters
    generated_at: datetime
    timezone: str
    total: Figures
    previous: Comparison | None = None
    last_year: Comparison | None = None
    #: Breakdowns: by clerk, desk, service, day, week, month.
    by: dict[str, list[Row]]
    heatmap: HeatMap
    flags: list[Flag]
    letters: Letters
    #: Comments given with the ratings and the suggestion box (issue 14).
    citizens: Citizens = Field(default_factory=Citizens)
    #: Yearly targets in force (year → %), for the target line of the charts.
    targets: dict[int, float]


class OfficialRow(_Out):
    """A line of "Bảng tổng hợp kết quả đánh giá sự hài lòng"."""

    no: int
    clerk_id: str
    name: str
    ratings: int
    very_satisfied: int
    satisfied: int
    dissatisfied: int
    satisfaction_pct: float | None
    grade: str
    grade_en: str = ""
    small_sample: bool


class OfficialTable(_Out):
    title: str
    office: str
    parent_unit: str
    period_label: str
    place: str
    made_on: date
    rows: list[OfficialRow]
    total: OfficialRow
    target_pct: float | None
    signer_left: str = "Người lập biểu"
    signer_right: str = "Thủ trưởng đơn vị"
