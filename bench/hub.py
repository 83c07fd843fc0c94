"""The hub of many offices (issue 16): lag, drain rate against the raw pipe, one office's
catch-up after an outage, and scaling with workers. A real hub on loopback each time:
Mosquitto with the files of `hub.broker_files` (TLS on the offices' listener), a fresh
PostgreSQL database, ``motcua hub`` worker processes (`tests.support.hub`).

* ``lag`` — ``--offices`` simulated offices (`hub.simulate`, the traffic of
  ``motcua simulate offices``) replay ``--hours`` of a working day ``--speed`` times
  faster into 2 workers; office commit (publish) → hub receipt (sent after the hub's
  commit) p50 / p95.
* ``drain`` — a backlog of ``--facts`` real facts (40 offices' day) waits on the hub
  broker; drained first by a plain paho subscriber that only counts (QoS 1, the same
  shared subscription, a persistent session), then by ``--workers`` hub workers
  (``worker.persistent_session: true`` so the broker queues their share while they are
  away). Rate from the first message (receipt) to the last; afterwards the rows are
  counted: nothing may be missing.
* ``catchup`` — one busy office (a real ``motcua server`` with its one-box broker
  bridged to the hub through a TCP proxy, and its forwarder): the WAN is cut, two busy
  hours (08:00–10:00 of a day of ``--busy-visits``) are committed, the WAN comes back;
  time until the hub has them all.
* ``scaling`` — ``drain`` with 1, 2 and 4 workers.

Run:  .venv/bin/python -m bench.hub [--phase lag|drain|catchup|scaling|all] [--runs 3]
          [--offices 120 --hours 8 --speed 60] [--facts 20000] [--busy-visits 600]
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import delete, func, or_, select

from hub.simulate import Simulation, TimedFact, make_accounts, percentile, sim_offices
from server.db.tables import DeskEventRow, OfficeRow, RatingRow, TicketEventRow
from server.runtime import ServerRuntime
from server.simulation.bulk import bulk_history
from tests.support.hub import WORKER_PASSWORD, Hub, make_hub, office_site
from tests.support.services import create_pg_database
from tests.support.sites import make_site
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import eventually

DAY = date(2026, 3, 10)  # a Tuesday
DRAIN_OFFICES = 40


def _hub(tmp: Path, **worker: Any) -> Hub:
    return make_hub(tmp / "hub", create_pg_database(), **worker)


def _close(hub: Hub) -> None:
    hub.stop()
    hub.pg.drop()


def _rows(hub: Hub, sites: list[str] | None = None) -> int:
    total = 0
    with hub.db.read() as s:
        for row in (TicketEventRow, RatingRow, DeskEventRow):
            q = select(func.count()).select_from(row)
            if sites is not None:
                q = q.where(row.site.in_(sites))
            total += int(s.scalar(q) or 0)
    return total


def _simulation(hub: Hub, n: int, seed: int = 1) -> Simulation:
    accounts = make_accounts(hub.config, hub.db, n, hub.broker_dir)
    hub.write_broker()
    wan = hub.config.broker.wan
    return Simulation(
        make_site(),
        sim_offices(accounts, seed),
        "127.0.0.1",
        wan.port,
        hub.config.broker.prefix,
        str(hub.ca_file),
        seed,
    )


def _wait_workers(hub: Hub, names: list[str]) -> None:
    for name in names:

        def connected(n: str = name) -> bool:
            return "MQTT connected" in hub.worker_log(n)

        eventually(connected, f"worker {name}", 60)


# ---------------------------------------------------------------------------- lag


def bench_lag(tmp: Path, offices: int, hours: float, speed: float) -> dict[str, float]:
    hub = _hub(tmp)
    try:
        sim = _simulation(hub, offices)
        hub.start_broker()
        for name in ("w1", "w2"):
            hub.start_worker(name)
        _wait_workers(hub, ["w1", "w2"])
        sim.connect(120)
        try:
            report = sim.run(DAY, dtime(7, 30), hours, speed)
        finally:
            sim.close()
        for line in report.lines():
            print("  " + line)
        lag = report.lags.seconds
        sent = sum(report.facts.values())
        return {
            "facts": sent,
            "per_s": sent / (hours * 3600 / speed),
            "p50_ms": 1000 * percentile(lag, 50),
            "p95_ms": 1000 * percentile(lag, 95),
            "p99_ms": 1000 * percentile(lag, 99),
            "stored": _rows(hub),
            "waiting": report.lags.waiting(),
        }
    finally:
        _close(hub)


# ---------------------------------------------------------------------------- drain


class Counter:
    """A plain subscriber that only counts (the raw pipe): the workers' account and
    shared subscription, QoS 1, a persistent session."""

    def __init__(self, hub: Hub) -> None:
        broker = hub.config.broker
        self.n = 0
        self.target = 0
        self.first = self.last = 0.0
        self.done = threading.Event()
        self.client_id = f"{broker.username}-counter"
        self.account = (broker.username, WORKER_PASSWORD)
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        c.username_pw_set(*self.account)
        c.max_inflight_messages_set(hub.config.worker.max_inflight)
        self.filter = f"$share/{broker.share_group}/{broker.prefix}/+/hub/facts"
        c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(self.filter, qos=1)
        c.on_message = self._on
        self.client = c
        self.host, self.port = broker.host, broker.port

    def _on(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.n += 1
        if self.n == 1:
            self.first = time.perf_counter()
        if self.n >= self.target:
            self.last = time.perf_counter()
            self.done.set()

    def connect(self) -> None:
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        subscribed.wait(10)

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def forget(self) -> None:
        """Drop the persistent session so nothing more is queued for it."""
        self.client.reinitialise(client_id=self.client_id, clean_session=True)
        self.client.username_pw_set(*self.account)
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        time.sleep(0.3)
        self.disconnect()


def _backlog(sim: Simulation, n: int) -> list[TimedFact]:
    start = datetime.combine(DAY, dtime(0, 0), tzinfo=sim.template.tz)
    timelines = sim.timelines(DAY, start, start + timedelta(days=1))
    facts = sorted((f for t in timelines for f in t), key=lambda f: f.at)
    if len(facts) < n + 100:
        raise SystemExit(f"only {len(facts)} facts in {len(timelines)} offices' day: ask fewer")
    return facts[: n + 100]


def _publish(sim: Simulation, facts: list[TimedFact]) -> None:
    """Publish ``facts`` and wait until the broker has acknowledged every one."""
    acked = [0]
    lock = threading.Lock()

    def hook(_mid: int) -> None:
        with lock:
            acked[0] += 1

    for link in sim.links.values():
        link.connection._on_puback_hooks[:] = [hook]
    for tf in facts:
        sim.links[tf.fact.site].publish_fact(tf.fact.stream, tf.fact.id, tf.fact.to_json())
    eventually(lambda: acked[0] >= len(facts), "the broker to take the backlog", 300)


def bench_drain(tmp: Path, n: int, workers: int) -> dict[str, float]:
    hub = _hub(tmp, persistent_session=True)
    try:
        sim = _simulation(hub, DRAIN_OFFICES)
        hub.start_broker()
        sim.connect(60)
        facts = _backlog(sim, n)
        backlog, warmup = facts[:n], facts[n:]
        # --- the raw pipe: a counter with a persistent session, away while it queues
        counter = Counter(hub)
        counter.target = n
        counter.connect()
        counter.disconnect()
        _publish(sim, backlog)
        t0 = time.perf_counter()
        counter.connect()
        counter.done.wait(600)
        raw_all = time.perf_counter() - t0
        raw = (n - 1) / (counter.last - counter.first)
        counter.disconnect()
        counter.forget()
        sim.lags.pending.clear()
        # --- the hub: workers subscribe (persistent sessions), go away, the backlog
        # waits for them, they come back
        names = [f"w{i}" for i in range(1, workers + 1)]
        for name in names:
            hub.start_worker(name)
        _wait_workers(hub, names)
        _publish(sim, warmup)
        eventually(lambda: sim.lags.waiting() == 0, "the warm-up's receipts", 60)
        for name in names:
            hub.workers[name].send_signal(2)
            hub.workers.pop(name).wait(30)
        sim.lags.seconds.clear()
        sim.lags.receipted_at.clear()
        _publish(sim, backlog)
        t0 = time.perf_counter()
        for name in names:
            hub.start_worker(name)
        eventually(lambda: sim.lags.waiting() == 0, "every receipt", 600, interval=0.01)
        hub_all = time.perf_counter() - t0
        at = sim.lags.receipted_at
        first = min(at)
        hub_rate = (n - at.count(first)) / (max(at) - first)
        stored = _rows(hub)
        return {
            "raw_per_s": raw,
            "hub_per_s": hub_rate,
            "ratio": hub_rate / raw,
            "raw_incl_connect_s": raw_all,
            "hub_incl_start_s": hub_all,
            "stored": stored,
            "expected": n + len(warmup),
            "lost": n + len(warmup) - stored,
        }
    finally:
        sim.close()
        _close(hub)


# ---------------------------------------------------------------------------- catch-up


def _hub_rows_of(hub: Hub, site: str) -> int:
    return _rows(hub, [site])


def _office_rows(rt: ServerRuntime, site: str) -> int:
    total = 0
    with rt.db.read() as s:
        for row in (TicketEventRow, RatingRow, DeskEventRow):
            q = select(func.count()).select_from(row).where(row.site == site)
            total += int(s.scalar(q) or 0)
    return total


def _keep_two_hours(rt: ServerRuntime, site: str, day: date) -> None:
    """Keep only what the office committed 08:00–10:00 (the busiest two hours)."""
    tz = rt.config.tz
    a = datetime.combine(day, dtime(8, 0), tzinfo=tz)
    b = datetime.combine(day, dtime(10, 0), tzinfo=tz)
    with rt.db.write() as s:
        for row, col in (
            (TicketEventRow, TicketEventRow.at),
            (DeskEventRow, DeskEventRow.at),
            (RatingRow, RatingRow.received_at),
        ):
            s.execute(delete(row).where(row.site == site, or_(col < a, col >= b)))


def _link(hub: Hub, code: str) -> bool | None:
    with hub.db.read() as s:
        row = s.get(OfficeRow, code)
        return None if row is None else row.link_up


def bench_catchup(tmp: Path, busy_visits: float) -> dict[str, float]:
    code = "xa-busy"
    hub = _hub(tmp)
    proxy: TcpProxy | None = None
    rt: ServerRuntime | None = None
    try:
        hub.add_office(code, "Trung tâm bận", "Cụm 1")
        hub.start_broker()
        for name in ("w1", "w2"):
            hub.start_worker(name)
        proxy = TcpProxy(hub.config.broker.wan.port)
        site = office_site(
            code, "Trung tâm bận", hub, wan_port=proxy.port, workdir=tmp / code,
            password_env="MOTCUA_HUB_PASSWORD_BENCH",
        )  # fmt: skip
        rt = ServerRuntime(site, heartbeat_s=1.0)
        rt.start()
        assert rt.wait_ready(60)
        eventually(lambda: _link(hub, code) is True, "the office's bridge up", 60)
        proxy.cut()
        eventually(lambda: _link(hub, code) is False, "the office's bridge down", 120)
        day = DAY - timedelta(days=7)
        bulk_history(rt.db, site, first=day, last=day, seed=3, visits_per_day=busy_visits)
        _keep_two_hours(rt, code, day)
        facts = _office_rows(rt, code)
        t0 = time.perf_counter()
        proxy.restore()
        eventually(lambda: _link(hub, code) is True, "the bridge back", 120, interval=0.02)
        t_link = time.perf_counter()
        eventually(lambda: _hub_rows_of(hub, code) >= facts, "the catch-up", 600, interval=0.02)
        t_end = time.perf_counter()
        return {
            "facts": facts,
            "from_restore_s": t_end - t0,
            "from_link_up_s": t_end - t_link,
            "per_s_after_link": facts / max(t_end - t_link, 1e-9),
            "hub_rows": _hub_rows_of(hub, code),
        }
    finally:
        if rt is not None:
            rt.stop()
        if proxy is not None:
            proxy.close()
        _close(hub)


# ---------------------------------------------------------------------------- main


def _fmt(r: dict[str, float]) -> str:
    return "  ".join(
        f"{k} {v:.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{k} {v:.2f}"
        for k, v in r.items()
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--phase", choices=["lag", "drain", "catchup", "scaling", "all"], default="all")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--offices", type=int, default=120)
    ap.add_argument("--hours", type=float, default=8)
    ap.add_argument("--speed", type=float, default=60)
    ap.add_argument("--facts", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--busy-visits", type=float, default=600)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("MOTCUA_LOG", "warning")
    phases = ["lag", "drain", "catchup", "scaling"] if args.phase == "all" else [args.phase]
    for phase in phases:
        for run in range(1, args.runs + 1):
            tmp = Path(tempfile.mkdtemp(prefix=f"motcua-bench-hub-{phase}-"))
            if phase == "lag":
                print(f"lag, run {run}: {args.offices} offices, {args.hours} h ×{args.speed:g}")
                r = bench_lag(tmp, args.offices, args.hours, args.speed)
                print(f"lag {run}: " + _fmt(r), flush=True)
            elif phase == "drain":
                r = bench_drain(tmp, args.facts, args.workers)
                print(
                    f"drain {run} ({args.workers} workers, {args.facts} facts): " + _fmt(r),
                    flush=True,
                )
            elif phase == "catchup":
                r = bench_catchup(tmp, args.busy_visits)
                print(f"catch-up {run}: " + _fmt(r), flush=True)
            else:
                for workers in (1, 2, 4):
                    tmp_w = tmp / f"w{workers}"
                    r = bench_drain(tmp_w, args.facts, workers)
                    print(f"scaling {run}, {workers} workers: " + _fmt(r), flush=True)


if __name__ == "__main__":
    main()
