"""Daily roll-ups: the report facts of each settled day, stored once, so a quarter or a
year is a merge of a few hundred stored days instead of a pass over every visit.

A day is settled from the day before yesterday (local) back: its numbers are closed
and the rating window (≤ 24 h) is over. Each stored day keeps a fingerprint of its rows
(tickets per state with their call and start counts, ratings with their highest id) and
of the configuration the figures depend on; a day whose rows or configuration changed
(a kiosk's offline numbers arriving late, a desk given another service) is computed
again from the raw rows. Recent days always come from the raw rows. The roll-ups hold
the same facts as the raw rows, so every figure is the same either way (tested).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow, ReportDayRow, TicketRow
from server.reports.facts import Facts, raw_facts
from server.timeutil import local_day, now_utc

log = logging.getLogger(__name__)

#: Bump when `Facts` or the way it is computed changes: every stored day is rebuilt.
VERSION = 1
_T = TicketRow.__table__.c
_R = RatingRow.__table__.c
_D = ReportDayRow.__table__.c


def _config_print(config: SiteConfig) -> str:
    """What of the configuration the facts depend on."""
    return json.dumps(
        [
            config.site.timezone,
            [(s.code, s.target_wait_minutes) for s in config.services],
            [(d.id, sorted(d.services)) for d in config.desks],
        ]
    )


def fingerprints(s: Session, config: SiteConfig, first: date, last: date) -> dict[str, str]:
    """Per day with any row: a digest of what its facts are computed from."""
    site = config.site.code
    parts: dict[str, list[object]] = defaultdict(list)
    tickets = (
        select(_T.day, _T.state, func.count(), func.count(_T.called_at), func.count(_T.started_at))
        .where(_T.site == site, _T.day >= first, _T.day <= last)
        .group_by(_T.day, _T.state)
        .order_by(_T.day, _T.state)
    )
    for day, *row in s.execute(tickets):
        parts[str(day)].append(row)
    ratings = (
        select(_R.day, func.count(), func.max(_R.id))
        .where(_R.site == site, _R.day >= first, _R.day <= last)
        .group_by(_R.day)
    )
    for day, *row in s.execute(ratings):
        parts[str(day)].append(["ratings", *row])
    base = f"{VERSION}|{_config_print(config)}|"
    return {
        day: hashlib.sha256((base + json.dumps(rows, default=str)).encode()).hexdigest()
        for day, rows in parts.items()
    }


class Rollups:
    """The roll-ups of one site, in its database."""

    def __init__(self, db: Database, config: SiteConfig) -> None:
        self.db = db
        self.config = config

    def settled_until(self, now: datetime) -> date:
        """The last settled day: the day before yesterday, local time."""
        return local_day(now, self.config.tz) - timedelta(days=2)

    def facts(self, s: Session, first: date, last: date, now: datetime) -> Facts:
        """The facts of ``first`` … ``last``: settled days from the roll-ups (built or
        rebuilt as needed), the others from the raw rows."""
        settled = min(last, self.settled_until(now))
        out = Facts()
        if first <= settled:
            out.update(self._settled(s, first, settled, now))
        if settled < last:
            out.update(
                raw_facts(s, self.config, max(first, settled + timedelta(days=1)), last, now)
            )
        return out

    def _settled(self, s: Session, first: date, last: date, now: datetime) -> Facts:
        site = self.config.site.code
        wanted = fingerprints(s, self.config, first, last)
        stored = s.execute(
            select(_D.day, _D.fingerprint, _D.facts).where(
                _D.site == site, _D.day >= first, _D.day <= last, _D.version == VERSION
            )
        )
        out = Facts()
        for day, fingerprint, text in stored:
            if wanted.get(str(day)) == fingerprint:
                out.update(Facts.from_json(json.loads(text)))
                del wanted[str(day)]
        if wanted:
            out.update(self.build(s, sorted(wanted), wanted, now))
        return out

    def build(self, s: Session, days: list[str], prints: dict[str, str], now: datetime) -> Facts:
        """Compute ``days`` from the raw rows (one pass per run of consecutive days) and
        store them."""
        out = Facts()
        runs: list[list[date]] = []
        for text in days:
            d = date.fromisoformat(text)
            if runs and (d - runs[-1][-1]).days == 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        for run in runs:
            out.update(raw_facts(s, self.config, run[0], run[-1], now))
        by_day = out.by_day()
        site, at = self.config.site.code, now_utc()
        with self.db.write() as w:
            w.execute(
                delete(ReportDayRow).where(
                    ReportDayRow.site == site,
                    ReportDayRow.day.in_([date.fromisoformat(d) for d in days]),
                )
            )
            w.add_all(
                ReportDayRow(
                    site=site,
                    day=date.fromisoformat(d),
                    version=VERSION,
                    fingerprint=prints[d],
                    facts=json.dumps(by_day[d].to_json() if d in by_day else Facts().to_json()),
                    built_at=at,
                )
                for d in days
            )
        return out

    def warm(self, first: date, last: date, now: datetime | None = None) -> int:
        """Build the roll-ups of the settled days in ``first`` … ``last`` that are missing
        or stale (after a history import, or at night); the number of days built."""
        now = now or now_utc()
        last = min(last, self.settled_until(now))
        if first > last:
            return 0
        with self.db.read() as s:
            wanted = fingerprints(s, self.config, first, last)
            stored = {
                str(day): fp
                for day, fp in s.execute(
                    select(_D.day, _D.fingerprint).where(
                        _D.site == self.config.site.code,
                        _D.day >= first,
                        _D.day <= last,
                        _D.version == VERSION,
                    )
                )
            }
            stale = sorted(d for d, fp in wanted.items() if stored.get(d) != fp)
            if stale:
                self.build(s, stale, wanted, now)
        return len(stale)


class Warmer:
    """Keeps the roll-ups built in the background: at start for the last five years,
    then every hour for the last 400 days (a day settles each night; a kiosk's offline
    numbers may arrive late). Reports never wait for it: a missing day is built on
    demand."""

    START_DAYS = 5 * 366
    EVERY_S = 3600.0
    RECENT_DAYS = 400

    def __init__(self, rollups: Rollups) -> None:
        self.rollups = rollups
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="report-rollups", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        days = self.START_DAYS
        while not self._stop.is_set():
            today = local_day(now_utc(), self.rollups.config.tz)
            try:
                built = self.rollups.warm(today - timedelta(days=days), today)
                if built:
                    log.info("report roll-ups: %d day(s) built", built)
            except Exception:  # a report can still be made from the raw rows
                log.exception("report roll-ups could not be built")
            days = self.RECENT_DAYS
            self._stop.wait(self.EVERY_S)
