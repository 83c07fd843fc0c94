"""A desk's simulated day: which clerk staffs it, when the desk opens (a few minutes
either side of 7:30, sometimes late), its lunch pause, perhaps a short break, and when
it closes; and when a planned pause or closing is due.

Apart from `server.simulation.office` (the event loop that calls tickets) because this
is the desk's timetable, decided before the day runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.config import Desk, SiteConfig
from server.simulation import days
from server.simulation.profiles import ClerkProfile

BREAK_P = 0.1
BREAK_REASONS = ("Họp giao ban", "Đi lấy hồ sơ ở kho lưu trữ", "Hỗ trợ quầy bên cạnh")
LUNCH = "Nghỉ trưa"


@dataclass
class DeskSim:
    """A desk's day: its clerk, its planned session times and where it stands now."""

    cfg: Desk
    clerk: ClerkProfile
    open_at: datetime
    close_at: datetime
    lunch_at: datetime | None
    resume_at: datetime | None
    break_at: datetime | None
    break_minutes: int
    break_reason: str
    phase: str = "closed"  # closed → open ⇄ paused → gone
    idle: bool = False
    gen: int = 0
    lunch_done: bool = False
    break_done: bool = False

    @property
    def id(self) -> str:
        return self.cfg.id


def desk_days(
    config: SiteConfig,
    day: date,
    rng: random.Random,
    who: dict[str, str],
    profiles: dict[str, ClerkProfile],
    *,
    saturday: bool,
) -> list[DeskSim]:
    """The timetable of each staffed desk (``who``: desk id → clerk id); a Saturday is a
    morning without lunch."""
    tz: ZoneInfo = config.tz

    def at(hh: int, mm: int, jitter_min: float = 0) -> datetime:
        base = days.local(day, time(hh, mm), tz)
        return base + timedelta(seconds=rng.randrange(int(jitter_min * 60) + 1))

    out = []
    for desk_id, clerk in who.items():
        late = rng.random() < 0.05
        open_at = at(7, 40, 25) if late else at(7, 28, 8)
        brk = rng.random() < BREAK_P
        morning = saturday or rng.random() < 0.6
        out.append(
            DeskSim(
                cfg=config.desk_by_id[desk_id],
                clerk=profiles[clerk],
                open_at=open_at,
                close_at=at(11, 30) if saturday else at(17, 0),
                lunch_at=None if saturday else at(11, 30),
                resume_at=None if saturday else at(13, 28, 10),
                break_at=(at(9, 0, 100) if morning else at(14, 30, 90)) if brk else None,
                break_minutes=rng.randint(8, 25),
                break_reason=rng.choice(BREAK_REASONS),
            )
        )
    return out


def due(at: datetime, t: datetime, busy: bool, *, minutes: int) -> bool:
    """Time for a lunch break or closing: from ``at`` once nobody waits, and at the
    latest ``minutes`` later, leaving people waiting."""
    return t >= at and (not busy or t >= at + timedelta(minutes=minutes))
