"""``motcua simulate offices``: the traffic N offices would forward, driving a hub.

Each simulated office (``sim-001`` …, an account of its own made by `hub.accounts`)
connects to the hub broker's offices' listener as its bridge would, and publishes on its
own ``{prefix}/{site}/hub/facts`` the `HubFact` its forwarder would send for every ticket
event, rating and desk event of its day (`hub.sim_facts`: the reports issue's history
model, so busy mornings, the lunch dip and the afternoon peak, Monday's rush), at the
moment the office would commit it, with the clock compressed ``speed`` times. It sends a
pulse every 15 s (its configuration without secrets), reads the hub's receipts, resends
what no receipt came for (as the real forwarder does) and records the lag from publish
(the office's commit) to the receipt (sent by the hub after its commit).

Offices differ in size: a third small communes (~50 visits on an ordinary day), a third
medium (~100), a third wards and centres (~220), each ±20 %.
"""

from __future__ import annotations

import heapq
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from pydantic import SecretStr

from hub.accounts import add_office
from hub.config import HubConfig
from hub.sim_facts import IdCounters, TimedFact, day_facts
from protocol.decoding import InvalidMessage, decode
from protocol.hub import (
    FACT_QOS,
    PULSE_QOS,
    STREAMS,
    HubReceipt,
    HubTopics,
    OfficePulse,
    StreamName,
)
from protocol.mqtt.connection import Connection
from protocol.mqtt.message import Message
from protocol.settings import BrokerSettings
from protocol.topics import Topics
from protocol.version import VERSION
from server.config import SiteConfig
from server.db.database import Database
from server.simulation import days
from server.simulation.plan import plan_day
from server.timeutil import now_utc
from server.uplink.pulse import secretless

log = logging.getLogger(__name__)

SIZES = (("small", 50.0), ("medium", 100.0), ("large", 220.0))
PULSE_EVERY_S = 15.0
RESEND_AFTER_S = 30.0


@dataclass(frozen=True)
class SimOffice:
    code: str
    username: str
    password: str
    size: str
    visits_per_day: float


def office_code(i: int) -> str:
    return f"sim-{i:03d}"


def office_sizes(n: int, seed: int) -> list[tuple[str, float]]:
    rng = random.Random(f"{seed}/sizes")
    return [(SIZES[i % 3][0], round(SIZES[i % 3][1] * rng.uniform(0.8, 1.2), 1)) for i in range(n)]


def working_day(today: date) -> date:
    """``today`` if it is an ordinary working weekday, else the working weekday before."""
    day = today
    while day.weekday() >= 5 or not days.is_open(day):
        day -= timedelta(days=1)
    return day


def office_timeline(
    template: SiteConfig,
    office: SimOffice,
    day: date,
    start: datetime,
    end: datetime,
    seed: int,
    ids: IdCounters | None = None,
) -> list[TimedFact]:
    """The office's facts committed between ``start`` and ``end`` (UTC) on ``day``."""
    plan = plan_day(
        template, day, seed=seed, site=office.code, visits_per_day=office.visits_per_day
    )
    return [f for f in day_facts(plan, ids) if start <= f.at < end]


@dataclass
class Lags:
    """Publish → receipt times, and what is still waiting for a receipt."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: (site, stream, id) → (first sent, last sent, payload) (monotonic).
    pending: dict[tuple[str, StreamName, int], tuple[float, float, bytes]] = field(
        default_factory=dict
    )
    seconds: list[float] = field(default_factory=list)
    receipted_at: list[float] = field(default_factory=list)
    duplicates: int = 0
    resent: int = 0

    def sent(self, site: str, stream: StreamName, fid: int, payload: bytes) -> None:
        now = time.monotonic()
        with self.lock:
            first = self.pending.get((site, stream, fid), (now, now, b""))[0]
            self.pending[(site, stream, fid)] = (first, now, payload)

    def receipt(self, receipt: HubReceipt) -> None:
        now = time.monotonic()
        with self.lock:
            for stream in STREAMS:
                for fid in receipt.ids(stream):
                    entry = self.pending.pop((receipt.site, stream, fid), None)
                    if entry is None:
                        self.duplicates += 1
                        continue
                    self.seconds.append(now - entry[0])
                    self.receipted_at.append(now)

    def due(self, older_than_s: float) -> list[tuple[str, StreamName, int, bytes]]:
        now = time.monotonic()
        with self.lock:
            return [
                (site, stream, fid, entry[2])
                for (site, stream, fid), entry in self.pending.items()
                if now - entry[1] >= older_than_s
            ]

    def waiting(self) -> int:
        with self.lock:
            return len(self.pending)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class OfficeLink:
    """One simulated office's connection to the hub broker (as its bridge's)."""

    def __init__(
        self, office: SimOffice, host: str, port: int, prefix: str, ca: str | None, lags: Lags
    ) -> None:
        self.office = office
        self.topics = HubTopics(office.code, prefix)
        self.lags = lags
        settings = BrokerSettings(
            host=host,
            port=port,
            username=office.username,
            password=SecretStr(office.password),
            tls_ca_file=ca,
            prefix=prefix,
        )
        self.connection = Connection(
            settings,
            Topics(office.code, prefix),
            office.username,
            clean_session=True,
            client_id=office.username,  # the hub's offices' listener insists on it
            announce_status=False,
            max_inflight=1000,
        )
        self.connection.subscribe(self.topics.topic("receipt"), self._on_receipt)

    def _on_receipt(self, msg: Message) -> None:
        try:
            self.lags.receipt(decode(HubReceipt, msg.payload))
        except InvalidMessage as e:
            log.warning("%s: a receipt refused: %s", self.office.code, e.detail)

    def publish_fact(self, stream: StreamName, fid: int, payload: bytes) -> None:
        self.lags.sent(self.office.code, stream, fid, payload)
        self.connection.publish(self.topics.topic("facts"), payload, qos=FACT_QOS)

    def pulse(self, config: dict[str, object], boot_id: uuid.UUID) -> None:
        pulse = OfficePulse(
            site=self.office.code,
            sent_at=now_utc(),
            boot_id=boot_id,
            version=VERSION,
            config=config,
        )
        self.connection.publish(self.topics.topic("pulse"), pulse.to_json(), qos=PULSE_QOS)


@dataclass
class SimReport:
    offices: int
    facts: dict[str, int]
    seconds: float
    lags: Lags
    sim_start: datetime
    sim_end: datetime
    per_office: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lag = self.lags.seconds
        total = sum(self.facts.values())
        return [
            f"{self.offices} đơn vị / offices, {self.sim_start:%d/%m/%Y %H:%M}–"
            f"{self.sim_end:%H:%M} (giờ đơn vị / office time)",
            f"đã gửi / sent {total} facts in {self.seconds:.0f} s "
            f"({total / max(self.seconds, 1e-9):.0f}/s): "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.facts.items())),
            f"biên nhận / receipted {len(lag)}, chưa / waiting {self.lags.waiting()}, "
            f"gửi lại / resent {self.lags.resent}, trùng / duplicate receipts "
            f"{self.lags.duplicates}",
            f"độ trễ / lag publish → receipt: p50 {1000 * percentile(lag, 50):.0f} ms, "
            f"p95 {1000 * percentile(lag, 95):.0f} ms, p99 {1000 * percentile(lag, 99):.0f} ms, "
            f"max {1000 * max(lag, default=float('nan')):.0f} ms",
        ]


@dataclass
class Simulation:
    """Offices, their connections and their merged timeline."""

    template: SiteConfig
    offices: list[SimOffice]
    host: str
    port: int
    prefix: str
    ca_file: str | None = None
    seed: int = 1
    lags: Lags = field(default_factory=Lags)
    links: dict[str, OfficeLink] = field(default_factory=dict)

    def connect(self, timeout: float = 60.0) -> None:
        for office in self.offices:
            link = OfficeLink(office, self.host, self.port, self.prefix, self.ca_file, self.lags)
            self.links[office.code] = link
            link.connection.start()
        deadline = time.monotonic() + timeout
        for code, link in self.links.items():
            if not link.connection.wait_connected(max(0.1, deadline - time.monotonic())):
                raise TimeoutError(
                    f"{code} could not connect to {self.host}:{self.port} "
                    "(was the hub broker reloaded after the accounts were made?)"
                )

    def close(self) -> None:
        for link in self.links.values():
            link.connection.stop(announce_offline=False)

    def timelines(self, day: date, start: datetime, end: datetime) -> list[list[TimedFact]]:
        return [office_timeline(self.template, o, day, start, end, self.seed) for o in self.offices]

    def run(
        self, day: date, start: dtime, hours: float, speed: float, drain_s: float = 120.0
    ) -> SimReport:
        """Replay ``hours`` from ``start`` (local) of ``day``, ``speed`` times faster."""
        tz = self.template.tz
        sim_start = datetime.combine(day, start, tzinfo=tz)
        sim_end = sim_start + timedelta(hours=hours)
        timelines = self.timelines(day, sim_start, sim_end)
        facts: dict[str, int] = {}
        per_office: dict[str, int] = {}
        configs = {o.code: self._config(o) for o in self.offices}
        boot = uuid.uuid4()
        t0 = time.monotonic()
        next_pulse = t0
        for tf in heapq.merge(*timelines, key=lambda tf: tf.at):
            due = t0 + (tf.at - sim_start).total_seconds() / speed
            next_pulse = self._idle_until(due, next_pulse, configs, boot)
            fact = tf.fact
            self.links[fact.site].publish_fact(fact.stream, fact.id, fact.to_json())
            facts[fact.stream] = facts.get(fact.stream, 0) + 1
            per_office[fact.site] = per_office.get(fact.site, 0) + 1
        self._idle_until(t0 + hours * 3600 / speed, next_pulse, configs, boot)
        deadline = time.monotonic() + drain_s
        while self.lags.waiting() and time.monotonic() < deadline:
            self._resend()
            time.sleep(0.05)
        seconds = time.monotonic() - t0
        return SimReport(
            len(self.offices), facts, seconds, self.lags, sim_start, sim_end, per_office
        )

    def _idle_until(
        self, due: float, next_pulse: float, configs: dict[str, dict[str, object]], boot: uuid.UUID
    ) -> float:
        while True:
            now = time.monotonic()
            if now >= next_pulse:
                for code, link in self.links.items():
                    link.pulse(configs[code], boot)
                self._resend()
                next_pulse = now + PULSE_EVERY_S
            if now >= due:
                return next_pulse
            time.sleep(min(due, next_pulse) - now)

    def _resend(self) -> None:
        for site, stream, fid, payload in self.lags.due(RESEND_AFTER_S):
            self.lags.resent += 1
            self.links[site].publish_fact(stream, fid, payload)

    def _config(self, office: SimOffice) -> dict[str, object]:
        data = secretless(self.template)
        data["site"] = {
            **data["site"],
            "code": office.code,
            "name": f"Đơn vị mô phỏng {office.code}",
        }
        return data


def make_accounts(
    config: HubConfig, db: Database, n: int, out_dir: Path
) -> list[tuple[str, str, str]]:
    """Accounts ``sim-001`` … ``sim-{n}`` on the hub (new passwords each time), with the
    hub broker's files rewritten: reload the broker (SIGHUP) before connecting."""
    out = []
    for i in range(1, n + 1):
        code = office_code(i)
        account = add_office(
            config,
            db,
            code,
            name=f"Đơn vị mô phỏng {i:03d}",
            group=f"Cụm {1 + (i - 1) // 10}",
            out_dir=out_dir,
        )
        out.append((code, account.username, account.password))
    return out


def sim_offices(accounts: list[tuple[str, str, str]], seed: int) -> list[SimOffice]:
    """``accounts``: (code, username, password) per office, in order."""
    sizes = office_sizes(len(accounts), seed)
    return [
        SimOffice(code, user, pw, size, visits)
        for (code, user, pw), (size, visits) in zip(accounts, sizes, strict=True)
    ]


def all_facts(timelines: list[list[TimedFact]]) -> Iterator[TimedFact]:
    return heapq.merge(*timelines, key=lambda tf: tf.at)
