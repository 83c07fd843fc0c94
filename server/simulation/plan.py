"""The plan of a simulated day: every visit and desk session, decided before anything is
written, as a pure function of the configuration, the day and a seed.

`plan_day` runs the day (`server.simulation.office`) and returns a `DayPlan`
(`server.simulation.model`): what the engine is to do, and the rows it will leave.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from server.config import SiteConfig
from server.simulation import days
from server.simulation.citizens import plan_suggestions
from server.simulation.model import DayPlan
from server.simulation.office import DaySimulation
from server.simulation.profiles import ClerkProfile, clerk_profiles
from server.timeutil import day_bounds_utc

DEFAULT_VISITS_PER_DESK = 15


def default_visits_per_day(config: SiteConfig) -> float:
    return DEFAULT_VISITS_PER_DESK * len(config.desks)


def plan_history(
    config: SiteConfig,
    first: date,
    last: date,
    *,
    seed: int,
    site: str | None = None,
    visits_per_day: float | None = None,
) -> Iterator[DayPlan]:
    """The plans of ``first`` … ``last`` (closed days give empty plans). A day's plan
    depends only on the seed, the site and the day, not on the range asked for."""
    site = site or config.site.code
    profiles = clerk_profiles(config, seed, site)
    mean = visits_per_day if visits_per_day is not None else default_visits_per_day(config)
    day = first
    while day <= last:
        yield plan_day(config, day, seed=seed, site=site, visits_per_day=mean, profiles=profiles)
        day += timedelta(days=1)


def plan_day(
    config: SiteConfig,
    day: date,
    *,
    seed: int,
    site: str | None = None,
    visits_per_day: float | None = None,
    profiles: dict[str, ClerkProfile] | None = None,
) -> DayPlan:
    site = site or config.site.code
    if not config.clerks:
        raise ValueError("the site configuration lists no clerks (clerks:)")
    profiles = profiles or clerk_profiles(config, seed, site)
    mean = visits_per_day if visits_per_day is not None else default_visits_per_day(config)
    plan = DayPlan(site=site, day=day, close_at=day_bounds_utc(day, config.tz)[1])
    factor = days.load_factor(day)
    if factor <= 0:
        return plan
    DaySimulation(config, plan, random.Random(f"{seed}/{site}/{day}"), profiles).run(mean * factor)
    plan_suggestions(plan, random.Random(f"{seed}/{site}/{day}/suggestions"))
    return plan
