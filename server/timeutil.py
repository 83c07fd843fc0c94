"""Time: everything is stored in UTC; days and displays are in the site's local time.

Day boundaries are local midnight (Asia/Ho_Chi_Minh is UTC+7, so a Vietnamese day
starts at 17:00 UTC the day before — the classic "numbers reset at 17:00" bug).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: The one clock of motcua (devices use it too), named here with the other time helpers.
from protocol.clock import now_utc as now_utc


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def fmt_local(at: datetime, tz: ZoneInfo) -> str:
    """dd/mm/yyyy HH:MM in local time (Vietnamese convention, 24 h)."""
    return at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
