"""One simulated day at the office: a small discrete-event simulation.

Citizens arrive (`days`), desks open, call the next ticket by the site's calling policy
(the same `server.queue.policy`, and the same order as ``QueueEngine.call_next``:
priority class, then issue time, then number), serve, recall, skip no-shows, transfer,
pause for lunch and close. Events at the same instant are handled in the order they were
scheduled, so the run is a pure function of the day's random generator.

Everything is recorded in the order it happens: the engine actions (`Step`) for the
engine writer, and the rows they produce for the bulk writer.
"""

from __future__ import annotations

import heapq
import random
import uuid
import zlib
from datetime import datetime, timedelta
from typing import Any

from protocol.numbers import format_number
from server.config import SiteConfig
from server.queue import policy
from server.simulation import days
from server.simulation.citizens import maybe_by_phone
from server.simulation.desks import LUNCH, DeskSim, desk_days, due
from server.simulation.model import DayPlan, DeskEvent, Leg, PlannedRating, Step
from server.simulation.profiles import ClerkProfile, draw_rating, roster

NO_SHOW_P = 0.045
COMES_BACK_P = 0.25
TRANSFER_P = 0.03
RECALL_P = 0.08
PRIORITY_P = 0.06
IMPLICIT_START_P = 0.1
DOSSIER_P = 0.85
KIOSK_RATING_P = 0.1


class DaySimulation:
    """Runs one open day into ``plan``."""

    def __init__(
        self,
        config: SiteConfig,
        plan: DayPlan,
        rng: random.Random,
        profiles: dict[str, ClerkProfile],
    ) -> None:
        self.config = config
        self.plan = plan
        self.rng = rng
        self.saturday = plan.day.weekday() == 5
        who = roster(config, rng, saturday=self.saturday)
        self.desks = desk_days(config, plan.day, rng, who, profiles, saturday=self.saturday)
        self.services = sorted({s for d in self.desks for s in d.cfg.services})
        self.waiting: dict[str, list[Leg]] = {s: [] for s in self.services}
        self.back: list[Leg] = []  # no-shows who came back and wait to be called
        self.heap: list[tuple[datetime, int, str, Any]] = []
        self.order = 0
        self.dossiers = 0
        zone = config.reserve_zone
        self.zone = zone if zone[1] >= zone[0] else None
        #: Dossier codes look like the national system's: ``000.00.25.H23-261105-0012``.
        self.dossier_unit = f"000.00.{10 + zlib.crc32(plan.site.encode()) % 90:02d}.H23"

    # ------------------------------------------------------------------ set-up

    def _arrivals(self, mean: float) -> None:
        rng, cfg = self.rng, self.config
        count = max(0, round(rng.gauss(mean, mean**0.5)))
        weights = self._service_weights()
        kiosks = cfg.kiosk_ids
        prios = [p.code for p in cfg.priorities]
        seq: dict[str, int] = {}
        arrivals = days.arrival_times(self.plan.day, cfg.tz, count, rng, saturday=self.saturday)
        for at in arrivals:
            service = rng.choices(self.services, weights)[0]
            n = seq.get(service, 0) + 1
            if self.zone and self.zone[0] <= n <= self.zone[1]:
                n = self.zone[1] + 1
            seq[service] = n
            prio = rng.choice(prios) if prios and rng.random() < PRIORITY_P else None
            leg = Leg(
                key=len(self.plan.legs),
                service=service,
                number=format_number(cfg.service_by_code[service].prefix, n),
                seq=n,
                priority=prio,
                kiosk_id=rng.choice(kiosks) if kiosks else None,
                issued_at=at,
                rng=random.Random(rng.getrandbits(64)),
            )
            self.plan.legs.append(leg)
            self._push(at, "arrive", leg.key)
        self.plan.counters = seq

    def _service_weights(self) -> list[float]:
        """Demand follows capacity: each desk brings its services work in proportion to
        how quick they are, shared among them (with a little variety per day)."""
        weight = dict.fromkeys(self.services, 0.0)
        for d in self.desks:
            for s in d.cfg.services:
                minutes = self.config.service_by_code[s].default_service_minutes
                weight[s] += 1 / len(d.cfg.services) / minutes
        return [weight[s] * self.rng.uniform(0.8, 1.2) for s in self.services]

    # ------------------------------------------------------------------ the run

    def run(self, mean: float) -> None:
        self._arrivals(mean)
        for d in self.desks:
            self._push(d.open_at, "desk", (d.id, d.gen))
        by_id = {d.id: d for d in self.desks}
        while self.heap:
            at, _, kind, payload = heapq.heappop(self.heap)
            if kind == "arrive":
                self._issue(at, self.plan.legs[payload])
            elif kind == "desk":
                desk = by_id[payload[0]]
                if payload[1] == desk.gen:
                    self._desk_turn(desk, at)
            elif kind == "act":
                self._act(at, *payload)
            elif kind == "back":
                self.back.append(self.plan.legs[payload])
                self._wake(at, self.plan.legs[payload].service)
        self._close_day()

    def _push(self, at: datetime, kind: str, payload: Any) -> None:
        self.order += 1
        heapq.heappush(self.heap, (at, self.order, kind, payload))

    def _step(
        self, at: datetime, action: str, desk: str | None, leg: int | None, arg: str | None = None
    ) -> None:
        self.plan.steps.append(Step(at, action, desk, leg, arg))

    def _issue(self, at: datetime, leg: Leg) -> None:
        leg.event("issued", at, {"kiosk_id": leg.kiosk_id} if leg.kiosk_id else None)
        self._step(at, "issue", None, leg.key)
        self.waiting[leg.service].append(leg)
        self._wake(at, leg.service)

    def _wake(self, at: datetime, service: str) -> None:
        """Idle desks of ``service`` notice someone waiting, after a few seconds."""
        for d in self.desks:
            if d.idle and d.phase == "open" and service in d.cfg.services:
                d.idle = False
                self._schedule(d, at + _seconds(self.rng, 5, 90))

    def _schedule(self, desk: DeskSim, at: datetime) -> None:
        desk.gen += 1
        self._push(at, "desk", (desk.id, desk.gen))

    # ------------------------------------------------------------------ desks

    def _desk_session(
        self, desk: DeskSim, kind: str, at: datetime, reason: str | None = None
    ) -> None:
        self.plan.desk_events.append(DeskEvent(desk.id, kind, at, desk.clerk.clerk_id, reason))
        arg = desk.clerk.clerk_id if kind == "open" else reason
        self._step(at, kind, desk.id, None, arg)

    def _desk_turn(self, desk: DeskSim, t: datetime) -> None:
        """The desk is free at ``t``: open, resume, pause, close or call someone."""
        desk.idle = False
        if desk.phase == "closed":
            desk.phase = "open"
            self._desk_session(desk, "open", t)
        elif desk.phase == "paused":
            desk.phase = "open"
            self._desk_session(desk, "resume", t)
        work = self._has_work(desk)
        if desk.lunch_at and not desk.lunch_done and due(desk.lunch_at, t, work, minutes=20):
            desk.lunch_done = True
            return self._pause(desk, t, LUNCH, max(desk.resume_at or t, t))
        if due(desk.close_at, t, work, minutes=30):
            desk.phase = "gone"
            return self._desk_session(desk, "close", t)
        if desk.break_at and not desk.break_done and t >= desk.break_at:
            desk.break_done = True
            back = t + timedelta(minutes=desk.break_minutes)
            return self._pause(desk, t, desk.break_reason, back)
        leg = self._pick(desk)
        if leg is not None:
            return self._serve(desk, leg, t)
        desk.idle = True
        later = [desk.close_at]
        if desk.lunch_at and not desk.lunch_done:
            later.append(desk.lunch_at)
        if desk.break_at and not desk.break_done:
            later.append(desk.break_at)
        self._schedule(desk, max(t, min(later)))

    def _pause(self, desk: DeskSim, t: datetime, reason: str, until: datetime) -> None:
        desk.phase = "paused"
        self._desk_session(desk, "pause", t, reason)
        self._schedule(desk, max(until, t + timedelta(seconds=30)))

    def _has_work(self, desk: DeskSim) -> bool:
        services = desk.cfg.services
        return any(self.waiting[s] for s in services) or any(
            leg.service in services for leg in self.back
        )

    def _pick(self, desk: DeskSim) -> Leg | None:
        """A no-show who came back first (the clerk calls their number), else the head of
        the queue by the site's calling policy, exactly as ``QueueEngine.call_next``."""
        services = desk.cfg.services
        for leg in self.back:
            if leg.service in services:
                self.back.remove(leg)
                return leg
        heads: dict[bool, Leg | None] = {False: None, True: None}
        for s in services:
            for leg in self.waiting[s]:
                head = heads[leg.is_priority]
                if head is None or (leg.issued_at, leg.number) < (head.issued_at, head.number):
                    heads[leg.is_priority] = leg
        calling = self.config.calling
        since = self._normals_since_priority(services) if calling.policy == "every_n" else 0
        chosen = policy.pick(heads[False], heads[True], calling.policy, calling.every_n, since)
        if chosen is not None:
            self.waiting[chosen.service].remove(chosen)
        return chosen

    def _normals_since_priority(self, services: list[str]) -> int:
        """Normal tickets first called after the last priority one (``every_n``)."""
        last: datetime | None = None
        normals: list[datetime] = []
        for leg in self.plan.legs:
            at = leg.first_called_at
            if at is None or leg.service not in services:
                continue
            if leg.is_priority:
                last = at if last is None else max(last, at)
            else:
                normals.append(at)
        return sum(1 for at in normals if last is None or at > last)

    # ------------------------------------------------------------------ a visit at a desk

    def _serve(self, desk: DeskSim, leg: Leg, t: datetime) -> None:
        """Call ``leg`` and schedule what follows; the desk is free again at the end."""
        rng = leg.rng
        returned = leg.state == "no_show"
        leg.state, leg.called_at = "called", t
        leg.first_called_at = leg.first_called_at or t
        leg.desk_id, leg.clerk_id, leg.ended_at = desk.id, desk.clerk.clerk_id, None
        leg.event("called", t, {"returned": True} if returned else None)
        self._step(t, "call_number" if returned else "call_next", desk.id, leg.key)
        tt = t
        no_show = not returned and leg.transferred_from is None and rng.random() < NO_SHOW_P
        recalls = (1 + (rng.random() < 0.4)) if no_show else int(rng.random() < RECALL_P)
        for _ in range(recalls):
            tt += _seconds(rng, 45, 90)
            self._push(tt, "act", (leg.key, "recall", None))
        if no_show:
            tt += _seconds(rng, 60, 120)
            self._push(tt, "act", (leg.key, "no_show", None))
            if rng.random() < COMES_BACK_P:
                self._push(tt + _seconds(rng, 600, 2400), "back", leg.key)
            return self._schedule(desk, tt + _seconds(rng, 5, 20))
        others = [s for s in self.services if s != leg.service]
        transfer = leg.transferred_from is None and others and rng.random() < TRANSFER_P
        implicit = not transfer and rng.random() < IMPLICIT_START_P
        tt += _seconds(rng, 15, 60)
        if not implicit:
            self._push(tt, "act", (leg.key, "start", None))
        if transfer:
            tt += _seconds(rng, 60, 240)
            self._push(tt, "act", (leg.key, "transfer", rng.choice(others)))
        else:
            usual = self.config.service_by_code[leg.service].default_service_minutes
            minutes = usual * desk.clerk.speed * rng.lognormvariate(0, 0.45)
            tt += timedelta(seconds=round(60 * min(max(minutes, 1.5), 4 * usual)))
            self._push(tt, "act", (leg.key, "done", None))
        self._schedule(desk, tt + _seconds(rng, 5, 40))

    def _act(self, at: datetime, key: int, action: str, arg: str | None) -> None:
        leg = self.plan.legs[key]
        if action == "recall":
            leg.recall_count += 1
            leg.called_at = at
            leg.event("recalled", at, {"recall": leg.recall_count})
        elif action == "start":
            leg.state, leg.started_at = "serving", at
            leg.event("started", at)
        elif action == "no_show":
            leg.state, leg.ended_at = "no_show", at
            leg.event("no_show", at)
        elif action == "done":
            return self._done(at, leg)
        elif action == "transfer":
            assert arg is not None
            return self._transfer(at, leg, arg)
        self._step(at, action, leg.desk_id, key)

    def _done(self, at: datetime, leg: Leg) -> None:
        if leg.state == "called":  # the clerk skipped "start", as the engine records it
            leg.started_at = leg.called_at
            leg.event("started", at, {"implicit": True})
        leg.state, leg.ended_at = "done", at
        if leg.rng.random() < DOSSIER_P:
            self.dossiers += 1
            leg.dossier_code = f"{self.dossier_unit}-{self.plan.day:%y%m%d}-{self.dossiers:04d}"
        leg.event("done", at, {"dossier_code": leg.dossier_code} if leg.dossier_code else None)
        self._step(at, "done", leg.desk_id, leg.key)
        self._rate(at, leg)

    def _transfer(self, at: datetime, leg: Leg, to: str) -> None:
        leg.state, leg.ended_at = "transferred", at
        leg.event("transferred", at, {"to": to})
        new = Leg(
            key=len(self.plan.legs),
            service=to,
            number=leg.number,
            seq=None,
            priority=leg.priority,
            kiosk_id=leg.kiosk_id,
            issued_at=leg.issued_at,
            rng=leg.rng,
            transferred_from=leg.key,
        )
        new.event("issued", at, {"from": leg.service})  # + transferred_from: the row's id
        self.plan.legs.append(new)
        self._step(at, "transfer", leg.desk_id, new.key, to)
        self.waiting[to].append(new)
        self._wake(at, to)

    def _rate(self, done_at: datetime, leg: Leg) -> None:
        rng, cfg = leg.rng, self.config
        desk = next(d for d in self.desks if d.id == leg.desk_id)
        pad = cfg.pad_of_desk.get(desk.id)
        kiosks = cfg.kiosk_ids
        if rng.random() >= desk.clerk.response_p or not (pad or kiosks):
            return
        at_kiosk = not pad or (bool(kiosks) and rng.random() < KIOSK_RATING_P)
        answer = draw_rating(rng, desk.clerk, cfg.rating.levels)
        window = cfg.rating.window_minutes * 60
        delay = (
            _seconds(rng, 60, min(600, window - 30))
            if at_kiosk
            else _seconds(rng, 5, min(75, window - 5))
        )
        sent = done_at + delay
        device = rng.choice(kiosks) if at_kiosk else pad
        assert device is not None
        rating = PlannedRating(
            leg=leg.key,
            msg_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            device_id=device,
            source="kiosk" if at_kiosk else "pad",
            level_raw=answer.level.value,
            praised=answer.praised,
            reasons=answer.reasons,
            partial=answer.partial,
            sent_at=sent,
            received_at=sent + timedelta(milliseconds=rng.randint(40, 1500)),
        )
        positive = answer.level.official.positive
        self.plan.ratings.append(maybe_by_phone(rating, rng, done_at, window, positive))

    def _close_day(self) -> None:
        """Tickets still waiting are cancelled at midnight (``close_previous_days``)."""
        at = self.plan.close_at
        assert at is not None
        for leg in self.plan.legs:
            assert leg.state not in ("called", "serving"), leg
            if leg.state == "issued":
                leg.state, leg.ended_at = "cancelled", at
                leg.event("cancelled", at, {"reason": "day_closed"})


def _seconds(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(seconds=rng.randint(low, max(low, high)))
