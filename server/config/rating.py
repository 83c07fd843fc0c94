"""The rating rules of a site: the scale, the rating window, the pad's timing, the
satisfaction alert, the yearly targets and the grade bands of the official table.

Its own module because the reports, the alerts and the rating rules all read it, and
none of them needs the rest of the configuration to understand it.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from protocol.conduct import SCALES, RawLevel
from protocol.config_wording import config_problem
from protocol.text import ShortText
from server.config.base import FrozenModel, Percent

#: Yearly satisfaction targets of the 2021–2025 plan (Đề án Gia Lộc).
DEFAULT_TARGETS: dict[int, float] = {2021: 85, 2022: 90, 2023: 92, 2024: 95, 2025: 95}


class SatisfactionAlert(FrozenModel):
    window_minutes: int = Field(default=15, ge=1, le=240)
    min_ratings: int = Field(default=4, ge=1, le=1000)
    unhappy_pct: Percent = 50


class GradeBand(FrozenModel):
    """A grade of the official table ("xếp loại"): satisfaction % ≥ ``min_pct``."""

    min_pct: Percent
    name: ShortText
    name_en: ShortText = ""


#: Grades by satisfaction % (a province may set its own bands in the site YAML).
DEFAULT_GRADES: tuple[GradeBand, ...] = (
    GradeBand(min_pct=95, name="Xuất sắc", name_en="Excellent"),
    GradeBand(min_pct=90, name="Tốt", name_en="Good"),
    GradeBand(min_pct=80, name="Khá", name_en="Fair"),
    GradeBand(min_pct=65, name="Trung bình", name_en="Average"),
    GradeBand(min_pct=0, name="Yếu", name_en="Poor"),
)


class RatingSettings(FrozenModel):
    scale: Literal[3, 4, 5] = 3
    #: A rating is accepted only this long after the service ended.
    window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Pad: presses closer together than this are ignored.
    min_gap_s: float = Field(default=1.0, ge=0, le=10)
    #: Pad: idle time after which a partial answer is sent.
    idle_timeout_s: int = Field(default=30, ge=5, le=600)
    alert: SatisfactionAlert = SatisfactionAlert()
    #: % satisfied to reach, per year (the plan's targets by default) …
    targets: dict[Annotated[int, Field(ge=2000, le=2100)], Percent] = Field(
        default_factory=lambda: dict(DEFAULT_TARGETS)
    )
    #: … and for years after the last one listed (None: the last listed target).
    target_default: Percent | None = None
    #: Grade bands of the official table, by satisfaction % (highest first).
    grades: list[GradeBand] = Field(default_factory=lambda: list(DEFAULT_GRADES), max_length=10)
    #: Reports flag (never hide) a clerk, desk or service with fewer ratings than this.
    small_sample: int = Field(default=30, ge=1, le=10000)

    @property
    def levels(self) -> tuple[RawLevel, ...]:
        return SCALES[self.scale]

    @model_validator(mode="after")
    def _sorted_grades(self) -> Self:
        if self.grades and min(g.min_pct for g in self.grades) > 0:
            raise config_problem(
                "grades: mức thấp nhất phải bắt đầu từ min_pct 0",
                "grades: the lowest band must start at min_pct 0",
            )
        object.__setattr__(
            self, "grades", sorted(self.grades, key=lambda g: g.min_pct, reverse=True)
        )
        return self

    def grade_for(self, pct: float | None) -> GradeBand | None:
        """The band a satisfaction % falls in (None without ratings)."""
        if pct is None:
            return None
        return next((g for g in self.grades if pct >= g.min_pct), None)
