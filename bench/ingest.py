"""Rating ingest: ratings stored per second by the server vs. a plain counting subscriber.

Both consumers read the same broker in the same run, so the ratio shows what the
server's work (validation, rules, deduplication, commit before acknowledgement) costs
against the raw pipe. Two modes:

* ``drain`` — N ratings wait on the broker for the consumer's persistent session
  (the broker queues them while it is away); then the consumer connects and the clock
  runs until it has them all. This measures the consumer alone.
* ``live`` — the consumer is connected and 50 pads publish N ratings as fast as they
  can; the clock runs from the first publish until the consumer has them all.

Run:  .venv/bin/python -m bench.ingest [--ratings 5000]
                                       [--db sqlite|postgres] [--mode drain|live|both]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from protocol.messages import DeskRating
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import RatingRow
from server.runtime import ServerRuntime
from tests.support.devices import now
from tests.support.seed import seed_done_tickets
from tests.support.services import (
    TOOL_ACCOUNTS,
    TOOL_PASSWORD,
    Broker,
    create_pg_database,
    sqlite_url,
    start_mosquitto,
)
from tests.support.sites import SERVER_PASSWORD, device_password, make_site
from tests.support.waiting import eventually

PADS = 50


class Counter:
    """A plain subscriber that only counts messages (the raw-pipe baseline)."""

    def __init__(self, broker: Broker, site: SiteConfig, client_id: str) -> None:
        self.n = 0
        self.done = threading.Event()
        self.target = 0
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        # A test-tool account with the server's rights (the broker keeps one connection
        # per account, so not the server's own): it may read every desk's ratings.
        c.username_pw_set(TOOL_ACCOUNTS[-1], TOOL_PASSWORD)
        self.filter = f"{site.topics.root}/desk/+/rating"
        c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(self.filter, qos=1)
        c.on_message = self._on
        self.client = c
        self.broker = broker

    def _on(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.n += 1
        if self.n >= self.target:
            self.done.set()

    def connect(self) -> None:
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(self.broker.host, self.broker.port)
        self.client.loop_start()
        subscribed.wait(10)

    def disconnect(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _publisher(
    port: int, tickets: dict[str, list[str]], start: int, per: int, go: Any, done: Any
) -> None:
    """Runs in its own process, as pads are separate machines: 50 pad connections."""
    site = make_site(desks=PADS)
    pads = []
    for desk in site.desks:
        pad = f"pad-{desk.id}"
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"{pad}-bench", protocol=mqtt.MQTTv311
        )
        c.username_pw_set(pad, device_password(pad))
        c.max_inflight_messages_set(100)
        c.connect("127.0.0.1", port)
        c.loop_start()
        pads.append(c)
    payloads = []
    for i in range(start, start + per):
        for pad, desk in zip(pads, site.desks, strict=True):
            r = DeskRating(
                device_id=f"pad-{desk.id}",
                sent_at=now(),
                ticket_id=uuid.UUID(tickets[desk.id][i]),
                level="satisfied",
            )
            payloads.append((pad, site.topics.desk_rating(desk.id), r.to_json()))
    go.wait()
    infos = [pad.publish(topic, payload, qos=1) for pad, topic, payload in payloads]
    for info in infos:
        info.wait_for_publish(120)
    done.set()
    # Stay connected a while, as pads do in the field.
    time.sleep(3)
    for c in pads:
        c.disconnect()
        c.loop_stop()


class Publishers:
    """50 pads in a child process, connected and ready before the clock starts."""

    def __init__(self, port: int, tickets: dict[str, list[uuid.UUID]], start: int, n: int) -> None:
        ctx = mp.get_context("spawn")
        self.go, self.done = ctx.Event(), ctx.Event()
        ids = {k: [str(t) for t in v] for k, v in tickets.items()}
        self.proc = ctx.Process(
            target=_publisher, args=(port, ids, start, n // PADS, self.go, self.done)
        )
        self.proc.start()
        time.sleep(3)  # let the 50 connections come up

    def run(self, wait: bool = True) -> None:
        self.go.set()
        if wait:
            self.done.wait(600)
            self.proc.join(60)


def forget_session(broker: Broker, client_id: str) -> None:
    """Drop the server account's persistent session (the broker uses the account as the
    client id), so later phases' messages are not queued for it."""
    c = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True, protocol=mqtt.MQTTv311
    )
    c.username_pw_set("server", SERVER_PASSWORD)
    c.connect(broker.host, broker.port)
    c.loop_start()
    time.sleep(0.5)
    c.disconnect()
    c.loop_stop()


def stored(db: Database) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(RatingRow)) or 0)


def run(n: int, broker_kind: str, db_kind: str, mode: str) -> dict[str, float]:
    site = make_site(desks=PADS)
    tmp = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    broker = start_mosquitto(site, tmp / "mq")
    pg = create_pg_database() if db_kind == "postgres" else None
    url = pg.url if pg else sqlite_url(tmp)
    db = Database(url)
    upgrade(db)
    rounds = 2 if mode == "both" else 1
    tickets = seed_done_tickets(db, site, (n // PADS) * 2 * rounds)
    results: dict[str, float] = {}

    def new_runtime() -> ServerRuntime:
        return ServerRuntime(
            site,
            database_url=url,
            embedded_broker=False,
            broker_port=broker.port,
            mqtt_password=SERVER_PASSWORD,
            migrate=False,
        )

    offset = 0
    try:
        for m in ("drain", "live") if mode == "both" else (mode,):
            # --- raw pipe
            counter = Counter(broker, site, f"bench-counter-{m}")
            counter.target = n
            if m == "drain":
                counter.connect()
                counter.disconnect()  # the broker now queues for this session
                Publishers(broker.port, tickets, offset, n).run()
                t0 = time.perf_counter()
                counter.connect()
            else:
                counter.connect()
                pubs = Publishers(broker.port, tickets, offset, n)
                t0 = time.perf_counter()
                pubs.run(wait=False)
            counter.done.wait(600)
            raw = time.perf_counter() - t0
            counter.disconnect()
            counter.client.reinitialise(client_id=f"bench-counter-{m}", clean_session=True)
            offset += n // PADS
            # --- server
            before = stored(db)
            rt = new_runtime()
            if m == "drain":
                rt.start()
                rt.wait_ready()
                rt.stop()
                Publishers(broker.port, tickets, offset, n).run()
                rt = new_runtime()
                rt.start()  # returns before connecting: the clock covers only the drain
                t0 = time.perf_counter()
            else:
                rt.start()
                rt.wait_ready()
                pubs = Publishers(broker.port, tickets, offset, n)
                t0 = time.perf_counter()
                pubs.run(wait=False)
            target = before + n
            eventually(lambda: stored(db) >= target, "ratings stored", 600, interval=0.01)  # noqa: B023
            srv = time.perf_counter() - t0
            rejected = rt.ingest.health.rejected
            rt.stop()
            forget_session(broker, site.server.broker.username)
            offset += n // PADS
            results[f"{m}_raw_per_s"] = n / raw
            results[f"{m}_server_per_s"] = n / srv
            results[f"{m}_ratio"] = raw / srv
            results[f"{m}_rejected"] = rejected
        results["stored_total"] = stored(db)
    finally:
        broker.stop()
        db.dispose()
        if pg:
            pg.drop()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--ratings", type=int, default=5000)
    # One broker now: the one-box server runs the same Mosquitto configuration.
    ap.add_argument("--broker", choices=["mosquitto"], default="mosquitto")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--mode", choices=["drain", "live", "both"], default="both")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = args.ratings - args.ratings % PADS
    r = run(n, args.broker, args.db, args.mode)
    print(f"ingest: {n} ratings from {PADS} pads, broker={args.broker}, db={args.db}")
    head = ("mode", "raw subscriber/s", "server stored/s", "server ÷ raw", "rejected")
    print(f"{head[0]:<6} {head[1]:>17} {head[2]:>16} {head[3]:>13} {head[4]:>9}")
    for m in ("drain", "live"):
        if f"{m}_ratio" in r:
            print(
                f"{m:<6} {r[m + '_raw_per_s']:>17.0f} {r[m + '_server_per_s']:>16.0f} "
                f"{r[m + '_ratio']:>13.2f} {int(r[m + '_rejected']):>9}"
            )
    print(json.dumps({k: round(v, 2) for k, v in r.items()}))


if __name__ == "__main__":
    main()
