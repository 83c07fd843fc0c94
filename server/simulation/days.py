"""The office's calendar for simulated history: which days it opens, how busy they are,
and when citizens arrive.

Holidays are the public holidays civil servants take off: fixed-date ones every year,
Tết and Giỗ Tổ Hùng Vương from a table of lunar dates (2020–2030). The Tết break is
approximated as two days before to four days after the lunar new year; the government's
yearly announcement (swapped working days, bridges) is not modelled.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Lunar new year (Mùng 1 Tết) and Giỗ Tổ Hùng Vương (10/3 âm lịch), by year.
_TET = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
_HUNG_KINGS = {
    2020: date(2020, 4, 2),
    2021: date(2021, 4, 21),
    2022: date(2022, 4, 10),
    2023: date(2023, 4, 29),
    2024: date(2024, 4, 18),
    2025: date(2025, 4, 7),
    2026: date(2026, 4, 26),
    2027: date(2027, 4, 16),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 23),
    2030: date(2030, 4, 12),
}
#: Tết dương lịch, Giải phóng miền Nam, Quốc tế Lao động, Quốc khánh (2/9 and the day before).
_FIXED = ((1, 1), (4, 30), (5, 1), (9, 1), (9, 2))

#: Arrivals per hour, relative, over the office's opening hours (local time): a peak
#: around 8–10 h and a smaller one around 14–15 h.
ARRIVAL_PROFILE: tuple[tuple[time, time, float], ...] = (
    (time(7, 30), time(8, 0), 0.7),
    (time(8, 0), time(9, 0), 1.5),
    (time(9, 0), time(10, 0), 1.6),
    (time(10, 0), time(11, 0), 1.1),
    (time(11, 0), time(11, 30), 0.5),
    (time(13, 30), time(14, 0), 0.8),
    (time(14, 0), time(15, 0), 1.3),
    (time(15, 0), time(16, 0), 0.9),
    (time(16, 0), time(17, 0), 0.5),
)
MORNING_END = time(11, 30)


def is_holiday(day: date) -> bool:
    if (day.month, day.day) in _FIXED:
        return True
    tet = _TET.get(day.year) or _TET.get(day.year + 1)
    if tet is not None and tet - timedelta(days=2) <= day <= tet + timedelta(days=4):
        return True
    return _HUNG_KINGS.get(day.year) == day


def is_open(day: date) -> bool:
    """Monday to Saturday (Saturday mornings only), except public holidays."""
    return day.weekday() != 6 and not is_holiday(day)


def _after_a_break(day: date) -> bool:
    """The first working day after a holiday (not just after a weekend)."""
    prev = day - timedelta(days=1)
    saw_holiday = False
    while not is_open(prev):
        saw_holiday = saw_holiday or is_holiday(prev)
        prev -= timedelta(days=1)
    return saw_holiday


def load_factor(day: date) -> float:
    """How busy ``day`` is against an ordinary Tuesday–Thursday (0 when closed)."""
    if not is_open(day):
        return 0.0
    if day.weekday() == 5:
        return 0.3  # Saturday morning: few people, a few desks
    factor = {0: 1.25, 4: 0.9}.get(day.weekday(), 1.0)
    return factor * 1.4 if _after_a_break(day) else factor


def arrival_times(
    day: date, tz: ZoneInfo, count: int, rng: random.Random, *, saturday: bool = False
) -> list[datetime]:
    """``count`` arrival times (UTC, whole seconds, strictly increasing) on ``day``."""
    slots = [s for s in ARRIVAL_PROFILE if not saturday or s[1] <= MORNING_END]
    weights = [_minutes(a, b) * w for a, b, w in slots]
    out: list[datetime] = []
    for a, b, _ in rng.choices(slots, weights, k=count):
        start = datetime.combine(day, a, tzinfo=tz)
        out.append(start + timedelta(seconds=rng.randrange(int(_minutes(a, b) * 60))))
    out.sort()
    for i in range(1, len(out)):  # one ticket per second at most: a strict queue order
        if out[i] <= out[i - 1]:
            out[i] = out[i - 1] + timedelta(seconds=1)
    return [t.astimezone(UTC) for t in out]


def local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``at`` on ``day`` in the site's zone, as UTC."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _minutes(a: time, b: time) -> float:
    return (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)
