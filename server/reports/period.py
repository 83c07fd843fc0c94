"""Report periods: a day, an ISO week, a month, a quarter, a year or any range of local
days, written the way a supervisor types them, with the periods to compare against.

``2026-11-05`` · ``2026-W45`` · ``2026-11`` · ``2026-Q3`` · ``2026`` ·
``2026-11-01..2026-11-30``. Days are local days of the site (Asia/Ho_Chi_Minh by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from protocol.errors import MotcuaError
from protocol.refusals import Reason

PeriodKind = Literal["day", "week", "month", "quarter", "year", "range"]
#: The longest period a report covers (a bigger one is refused, not truncated).
MAX_DAYS = 5 * 366
_ROMAN = ("I", "II", "III", "IV")


class PeriodError(MotcuaError, ValueError):
    """A period that cannot be reported; the messages say why, in both languages."""


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Period:
    """The local days ``start``…``end`` (both included)."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def code(self) -> str:
        """The canonical text that `parse_period` reads back."""
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(s.year)
        return f"{s.isoformat()}..{self.end.isoformat()}"

    def label(self, lang: str = "vi") -> str:
        """ "Quý III năm 2026" / "Q3 2026", as the official reports head them."""
        s, e = self.start, self.end
        vi = lang != "en"
        if self.kind == "day":
            return f"Ngày {_d(s)}" if vi else _d(s)
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            span = f"{s:%d/%m}–{_d(e)}"
            return f"Tuần {week} năm {year} ({span})" if vi else f"Week {week} of {year} ({span})"
        if self.kind == "month":
            return f"Tháng {s.month} năm {s.year}" if vi else f"{s:%B} {s.year}"
        if self.kind == "quarter":
            q = (s.month - 1) // 3
            return f"Quý {_ROMAN[q]} năm {s.year}" if vi else f"Q{q + 1} {s.year}"
        if self.kind == "year":
            return f"Năm {s.year}" if vi else str(s.year)
        return f"Từ {_d(s)} đến {_d(e)}" if vi else f"{_d(s)} to {_d(e)}"

    def previous(self) -> Period:
        """The period just before, of the same kind (a range: as many days)."""
        s = self.start
        if self.kind == "day":
            return day_period(s - timedelta(days=1))
        if self.kind == "week":
            return week_period(s - timedelta(days=7))
        if self.kind == "month":
            return month_period(*(s.year, s.month - 1) if s.month > 1 else (s.year - 1, 12))
        if self.kind == "quarter":
            q = (s.month - 1) // 3 + 1
            return quarter_period(*(s.year, q - 1) if q > 1 else (s.year - 1, 4))
        if self.kind == "year":
            return year_period(s.year - 1)
        return Period("range", s - timedelta(days=self.days), s - timedelta(days=1))

    def last_year(self) -> Period:
        """The same period one year earlier (the same ISO week number; 29/02 → 28/02)."""
        s = self.start
        if self.kind == "day":
            return day_period(_minus_year(s))
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            weeks = date(year - 1, 12, 28).isocalendar()[1]
            return week_period(date.fromisocalendar(year - 1, min(week, weeks), 1))
        if self.kind == "month":
            return month_period(s.year - 1, s.month)
        if self.kind == "quarter":
            return quarter_period(s.year - 1, (s.month - 1) // 3 + 1)
        if self.kind == "year":
            return year_period(s.year - 1)
        return Period("range", _minus_year(s), _minus_year(self.end))

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def day_period(day: date) -> Period:
    return Period("day", day, day)


def week_period(day: date) -> Period:
    """The ISO week (Monday to Sunday) holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period("month", start, nxt - timedelta(days=1))


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    end = month_period(year, 3 * quarter).end
    return Period("quarter", start, end)


def year_period(year: int) -> Period:
    return Period("year", date(year, 1, 1), date(year, 12, 31))


def _bad(text: str, why: str | None = None, **values: object) -> PeriodError:
    """``bad_period`` for ``text``, saying ``why`` (a variant of its wording)."""
    return PeriodError(Reason.BAD_PERIOD, variant=why, period=text, **values)


_FORMS = "2026-11-05 · 2026-W45 · 2026-11 · 2026-Q3 · 2026 · 2026-11-01..2026-11-30"


def _year(text: str, value: str) -> int:
    year = int(value)
    if not 2000 <= year <= 2100:
        raise _bad(text, "year")
    return year


def _iso_day(text: str, value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _bad(text, "no_day", day=value) from None
    _year(text, str(day.year))
    return day


def _range(text: str, first: str, last: str) -> Period:
    """``first..last``, both days included, at most `MAX_DAYS` long."""
    start, end = _iso_day(text, first), _iso_day(text, last)
    if end < start:
        raise _bad(text, "end_first")
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(Reason.PERIOD_TOO_LONG, period=text)
    return Period("range", start, end)


def _iso_week(text: str, year: int, week: int) -> Period:
    try:
        return week_period(date.fromisocalendar(year, week, 1))
    except ValueError:
        weeks = date(year, 12, 28).isocalendar()[1]
        raise _bad(text, "week", year=year, weeks=weeks) from None


def parse_period(text: str) -> Period:
    """Read a period; `PeriodError` (Vietnamese and English) for anything impossible."""
    raw = text.strip()
    if len(raw) > 40:
        raise _bad(raw[:40] + "…", "too_long")
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", raw):
        return _range(raw, m[1], m[2])
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return day_period(_iso_day(raw, raw))
    if m := re.fullmatch(r"(\d{4})-[Ww](\d{1,2})", raw):
        return _iso_week(raw, _year(raw, m[1]), int(m[2]))
    if m := re.fullmatch(r"(\d{4})-[Qq](\d)", raw):
        year, quarter = _year(raw, m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise _bad(raw, "quarter")
        return quarter_period(year, quarter)
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", raw):
        year, month = _year(raw, m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise _bad(raw, "month")
        return month_period(year, month)
    if re.fullmatch(r"\d{4}", raw):
        return year_period(_year(raw, raw))
    raise _bad(raw, forms=_FORMS)
