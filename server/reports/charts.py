"""What the report's four charts show, as plain data: the page draws it with Chart.js,
the PDF with reportlab (`server.reports.pdf_charts`), so both draw the same numbers.

`chart_data` gives JSON-ready dicts (no dates, no models):

- ``trend``: satisfaction % per day, ISO week or month (`trend_by` picks the bucket
  that suits the period's length), with the yearly target of each point;
- ``clerks``: satisfaction % per clerk, best first, small samples marked, the target;
- ``reasons`` / ``praised``: Pareto of the 5 Không / missed items given as reasons for
  dissatisfaction, and of the 4 Xin / 4 Luôn items praised: counts, most frequent
  first, with the cumulative %;
- ``heatmap``: arrivals per weekday × hour (local time), with the mean wait.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from protocol.conduct import CONDUCT_ITEMS
from protocol.i18n import localized
from server.reports.model import Report, Row
from server.reports.wording import WEEKDAYS_SHORT, Pair, item_label, pick

TITLES: dict[str, Pair] = {
    "trend_day": ("Tỷ lệ hài lòng theo ngày", "Satisfaction by day"),
    "trend_week": ("Tỷ lệ hài lòng theo tuần", "Satisfaction by week"),
    "trend_month": ("Tỷ lệ hài lòng theo tháng", "Satisfaction by month"),
    "clerks": ("Tỷ lệ hài lòng theo cán bộ", "Satisfaction by clerk"),
    "reasons": ("Lý do không hài lòng (Pareto)", "Reasons for dissatisfaction (Pareto)"),
    "praised": ("Điều được khen (Pareto)", "What was praised (Pareto)"),
    "heatmap": ("Lượt lấy số theo thứ và giờ", "Arrivals by weekday and hour"),
}
WORDS: dict[str, Pair] = {
    "pct": ("Tỷ lệ hài lòng (%)", "Satisfied (%)"),
    "target": ("Mục tiêu", "Target"),
    "count": ("Số lần", "Times"),
    "cumulative": ("Cộng dồn (%)", "Cumulative (%)"),
    "arrivals": ("Lượt lấy số", "Arrivals"),
    "wait": ("Chờ trung bình (phút)", "Mean wait (min)"),
    "hour": ("Giờ", "Hour"),
    "no_data": ("Chưa có dữ liệu", "No data yet"),
}
#: The hours always shown on the heat map (office hours), widened to any arrival.
OFFICE_HOURS = (7, 17)


def trend_by(report: Report) -> str:
    """Days for up to a month, ISO weeks up to about half a year, months beyond."""
    days = (report.period.end - report.period.start).days + 1
    if days <= 31:
        return "day"
    if days <= 190:
        return "week"
    return "month"


def point_label(row: Row, by: str, lang: str) -> str:
    """Short axis label: "05/11", "T45" / "W45", "11/2026"."""
    key = row.key
    try:
        if by == "day":
            return f"{date.fromisoformat(key):%d/%m}"
        if by == "week":
            week = int(key.split("-W")[1])
            return f"{'W' if lang == 'en' else 'T'}{week}"
        if by == "month":
            year, month = key.split("-")
            return f"{int(month):02d}/{year}"
    except (ValueError, IndexError):
        pass
    return localized(row.label, row.label_en, lang)


def small_sample_note(small_sample: int | None, lang: str) -> str:
    if small_sample is None:
        return pick(("Mẫu nhỏ", "Small sample"), lang)
    return pick((f"Mẫu nhỏ (< {small_sample} phiếu)", f"Small sample (< {small_sample})"), lang)


def _trend(report: Report, lang: str) -> dict[str, Any]:
    by = trend_by(report)
    rows = report.by.get(by, [])
    return {
        "title": pick(TITLES[f"trend_{by}"], lang),
        "by": by,
        "keys": [r.key for r in rows],
        "labels": [point_label(r, by, lang) for r in rows],
        "satisfaction_pct": [r.figures.satisfaction_pct for r in rows],
        "ratings": [r.figures.ratings for r in rows],
        "small_sample": [r.figures.small_sample for r in rows],
        "target_pct": [r.figures.target_pct for r in rows],
        "y_label": pick(WORDS["pct"], lang),
        "target_label": pick(WORDS["target"], lang),
    }


def _clerks(report: Report, lang: str, small_sample: int | None) -> dict[str, Any]:
    rows = sorted(
        report.by.get("clerk", []),
        key=lambda r: (
            r.figures.satisfaction_pct is None,
            -(r.figures.satisfaction_pct or 0),
            -r.figures.ratings,
            r.label,
        ),
    )
    return {
        "title": pick(TITLES["clerks"], lang),
        "keys": [r.key for r in rows],
        "labels": [localized(r.label, r.label_en, lang) for r in rows],
        "satisfaction_pct": [r.figures.satisfaction_pct for r in rows],
        "ratings": [r.figures.ratings for r in rows],
        "small_sample": [r.figures.small_sample for r in rows],
        "target_pct": report.total.target_pct,
        "y_label": pick(WORDS["pct"], lang),
        "target_label": pick(WORDS["target"], lang),
        "small_sample_label": small_sample_note(small_sample, lang),
    }


def pareto(counts: dict[str, int], lang: str, title: Pair) -> dict[str, Any]:
    """Items given at least once, most frequent first (ties: the conduct model's order),
    with the cumulative % of all mentions."""
    order = {item.code: i for i, item in enumerate(CONDUCT_ITEMS)}
    items = sorted(
        ((code, n) for code, n in counts.items() if n > 0),
        key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0]),
    )
    total = sum(n for _, n in items)
    running = 0
    cumulative: list[float] = []
    for _, n in items:
        running += n
        cumulative.append(round(100.0 * running / total, 1))
    return {
        "title": pick(title, lang),
        "codes": [code for code, _ in items],
        "labels": [item_label(code, lang) for code, _ in items],
        "counts": [n for _, n in items],
        "cumulative_pct": cumulative,
        "total": total,
        "y_label": pick(WORDS["count"], lang),
        "cumulative_label": pick(WORDS["cumulative"], lang),
    }


def heat_hours(arrivals: list[list[int]]) -> list[int]:
    """Office hours, widened to the first and last hour anyone arrived."""
    used = [h for row in arrivals for h, n in enumerate(row) if n]
    first = min([OFFICE_HOURS[0], *used])
    last = max([OFFICE_HOURS[1], *used])
    return list(range(first, last + 1))


def _minutes(seconds: list[float | None], hour: int) -> float | None:
    """The mean wait of ``hour`` in minutes (one decimal); None if nobody waited."""
    value = seconds[hour] if hour < len(seconds) else None
    return None if value is None else round(value / 60, 1)


def _heatmap(report: Report, lang: str) -> dict[str, Any]:
    hm = report.heatmap
    hours = heat_hours(hm.arrivals)
    arrivals = [[row[h] if h < len(row) else 0 for h in hours] for row in hm.arrivals]
    waits = [[_minutes(row, h) for h in hours] for row in hm.wait_mean_s]
    return {
        "title": pick(TITLES["heatmap"], lang),
        "rows": [pick(d, lang) for d in WEEKDAYS_SHORT][: len(arrivals)],
        "hours": hours,
        "arrivals": arrivals,
        "wait_mean_min": waits,
        "max": max((n for row in arrivals for n in row), default=0),
        "value_label": pick(WORDS["arrivals"], lang),
        "wait_label": pick(WORDS["wait"], lang),
        "hour_label": pick(WORDS["hour"], lang),
    }


def chart_data(
    report: Report, lang: str = "vi", *, small_sample: int | None = None
) -> dict[str, Any]:
    """The data of the four charts (``small_sample``: the threshold, for the legend)."""
    return {
        "trend": _trend(report, lang),
        "clerks": _clerks(report, lang, small_sample),
        "reasons": pareto(report.total.reasons, lang, TITLES["reasons"]),
        "praised": pareto(report.total.praised, lang, TITLES["praised"]),
        "heatmap": _heatmap(report, lang),
        "no_data": pick(WORDS["no_data"], lang),
    }
