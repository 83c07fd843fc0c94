"""The figures of a report as columns: header (Vietnamese / English), kind and value.

One list serves the breakdown sheets of the xlsx, the CSV, the PDF tables and the
headline figures, so every export shows the same numbers under the same names. Values
stay raw here (percentages 0–100, minutes as floats, counts as ints, None for "no
data"); each export formats them its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal, cast

from protocol.i18n import localized
from server.reports.model import Figures, Row
from server.reports.wording import KEY_HEADERS, MET, NOT_MET, YES, Pair, pick

Kind = Literal["text", "int", "pct", "min", "date", "flag"]
Value = str | int | float | date | None


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _met(f: Figures) -> Pair | None:
    if f.meets_target is None:
        return None
    return MET if f.meets_target else NOT_MET


@dataclass(frozen=True)
class Column:
    """One figure: ``get`` reads it from a `Figures`; ``kind`` says how it is shown."""

    key: str
    header_pair: Pair
    kind: Kind
    get: Callable[[Figures], object]
    #: Column width in characters (xlsx) and relative width (PDF).
    width: float = 11

    def header(self, lang: str) -> str:
        return pick(self.header_pair, lang)

    def value(self, f: Figures, lang: str) -> Value:
        """The raw value: minutes for times, a word for flags, None for "no data"."""
        raw = self.get(f)
        if self.kind == "min":
            return _minutes(cast("float | None", raw))
        if self.kind == "flag":
            if isinstance(raw, tuple):
                return pick(raw, lang)
            return pick(YES, lang) if raw else ""
        return cast(Value, raw)


FIGURE_COLUMNS: tuple[Column, ...] = (
    Column("issued", ("Số lượt lấy số", "Tickets issued"), "int", lambda f: f.issued),
    Column("served", ("Đã phục vụ", "Served"), "int", lambda f: f.served),
    Column("no_show", ("Vắng mặt", "No-shows"), "int", lambda f: f.no_show),
    Column("transferred", ("Chuyển lĩnh vực", "Transferred"), "int", lambda f: f.transferred),
    Column("cancelled", ("Đã hủy", "Cancelled"), "int", lambda f: f.cancelled),
    Column("carried_over", ("Chưa phục vụ", "Not served"), "int", lambda f: f.carried_over),
    Column(
        "wait_mean", ("Chờ trung bình (phút)", "Mean wait (min)"), "min", lambda f: f.wait.mean_s
    ),
    Column(
        "wait_median",
        ("Chờ trung vị (phút)", "Median wait (min)"),
        "min",
        lambda f: f.wait.median_s,
    ),
    Column("wait_p90", ("Chờ P90 (phút)", "90th pct wait (min)"), "min", lambda f: f.wait.p90_s),
    Column(
        "service_mean",
        ("Phục vụ trung bình (phút)", "Mean service (min)"),
        "min",
        lambda f: f.service.mean_s,
    ),
    Column(
        "service_median",
        ("Phục vụ trung vị (phút)", "Median service (min)"),
        "min",
        lambda f: f.service.median_s,
    ),
    Column(
        "service_p90",
        ("Phục vụ P90 (phút)", "90th pct service (min)"),
        "min",
        lambda f: f.service.p90_s,
    ),
    Column(
        "service_level",
        ("Gọi trong hạn chờ (%)", "Called in time (%)"),
        "pct",
        lambda f: f.service_level_pct,
    ),
    Column(
        "idle_while_waiting",
        ("Quầy rảnh khi có người chờ (phút)", "Idle while people wait (min)"),
        "min",
        lambda f: f.idle_while_waiting_s,
        width=14,
    ),
    Column("ratings", ("Số phiếu đánh giá", "Ratings"), "int", lambda f: f.ratings),
    Column(
        "very_satisfied",
        ("Rất hài lòng", "Very satisfied"),
        "int",
        lambda f: f.levels.get("very_satisfied", 0),
    ),
    Column("satisfied", ("Hài lòng", "Satisfied"), "int", lambda f: f.levels.get("satisfied", 0)),
    Column(
        "dissatisfied",
        ("Không hài lòng", "Dissatisfied"),
        "int",
        lambda f: f.levels.get("dissatisfied", 0),
    ),
    Column(
        "satisfaction",
        ("Tỷ lệ hài lòng (%)", "Satisfaction (%)"),
        "pct",
        lambda f: f.satisfaction_pct,
    ),
    Column("target", ("Mục tiêu (%)", "Target (%)"), "pct", lambda f: f.target_pct),
    Column("meets_target", ("Đạt mục tiêu", "Target met"), "flag", _met),
    Column(
        "response_rate",
        ("Tỷ lệ được đánh giá (%)", "Response rate (%)"),
        "pct",
        lambda f: f.response_rate_pct,
    ),
    Column("partial", ("Trả lời chưa hết", "Partial answers"), "int", lambda f: f.partial),
    # where the ratings were given (a source filter keeps one of them)
    Column(
        "ratings_pad",
        ("Phiếu tại máy ở quầy", "Ratings on desk pads"),
        "int",
        lambda f: f.by_source.get("pad", 0),
    ),
    Column(
        "ratings_kiosk",
        ("Phiếu tại ki-ốt", "Ratings at kiosks"),
        "int",
        lambda f: f.by_source.get("kiosk", 0),
    ),
    Column(
        "ratings_phone",
        ("Phiếu qua điện thoại", "Ratings by phone"),
        "int",
        lambda f: f.by_source.get("phone", 0),
    ),
    Column("small_sample", ("Mẫu nhỏ", "Small sample"), "flag", lambda f: f.small_sample),
)
COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in FIGURE_COLUMNS}

#: The columns of the PDF's breakdown tables (a page is narrower than a sheet).
PDF_KEYS: tuple[str, ...] = (
    "served",
    "wait_mean",
    "service_mean",
    "service_level",
    "ratings",
    "very_satisfied",
    "satisfied",
    "dissatisfied",
    "satisfaction",
    "response_rate",
    "small_sample",
)


def breakdown_columns(keys: tuple[str, ...] | None = None) -> list[Column]:
    """Every figure column (or those named by ``keys``, in that order)."""
    if keys is None:
        return list(FIGURE_COLUMNS)
    return [COLUMN_BY_KEY[k] for k in keys]


RANK: Pair = ("Xếp hạng", "Rank")
CODE: Pair = ("Mã", "Code")


def has_code(by: str) -> bool:
    """Clerks, desks and services have a code beside their name; time buckets do not."""
    return by in ("clerk", "desk", "service")


def has_rank(by: str) -> bool:
    return by in ("clerk", "service")


def key_header(by: str, lang: str) -> str:
    return pick(KEY_HEADERS[by], lang)


def row_label(row: Row, by: str, lang: str) -> str | date:
    """The first cell of a breakdown line: the day as a date, else the display name."""
    if by == "day":
        try:
            return date.fromisoformat(row.key)
        except ValueError:
            return row.label
    return localized(row.label, row.label_en, lang)
