"""Phones: 500 citizens follow their tickets on ``/t/{id}`` at once; a clerk calls numbers.

The server runs as its own process (``motcua server``: Mosquitto with passwords, SQLite),
so its CPU can be read from /proc apart from the load generator. This process holds
every phone's WebSocket (``/ws/ticket/{id}``, what the page opens) and, as the baseline
of the same run, the display board's (``/ws/live?channel=board``).

For each call (clerk's HTTP ``call-next``; ``t0`` just before it):

- board: ``t0`` → the call reaches the board;
- phone banner: ``t0`` → the called ticket's phone gets its view with state ``called``
  (the page shows the banner on that message);
- everyone's position: ``t0`` → the last of the phones still waiting in that service
  got its new "people ahead".

The server's CPU over the calls phase: seconds of CPU (user + system) per wall second
(1.0 = one core busy), and while 500 phones are only connected and idle.

Run:  .venv/bin/python -m bench.phone [--phones 500] [--calls 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets
import yaml

from protocol.link import MqttLink
from server.auth.sessions import SESSION_COOKIE
from server.auth.tokens import issue_token
from server.auth.users import add_user, user_of
from server.config.loader import load_site_config
from server.db.database import Database
from server.db.tables import UserRow
from tests.support.devices import device_link, request_ticket, started
from tests.support.http import PASSWORD
from tests.support.services import free_port, start_mosquitto
from tests.support.sites import site_data

SERVICE = "tp"  # the example site's service the benchmark queues in
DESKS = ("q1", "q2")  # desks that serve it (clerks lan and hung)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<46} {0:>4}        –        –        –"
    return (
        f"{name:<46} {len(values):>4} {statistics.median(values):>8.1f} "
        f"{percentile(values, 95):>8.1f} {max(values):>8.1f}"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Phone:
    ticket_id: str
    views: int = 0
    state: str = ""
    ahead: int | None = None
    called_at: float | None = None
    #: When each new "people ahead" value arrived.
    ahead_at: dict[int, float] = field(default_factory=dict)


async def follow(base_ws: str, phone: Phone, ready: asyncio.Event, total: list[int]) -> None:
    async with websockets.connect(f"{base_ws}/ws/ticket/{phone.ticket_id}", open_timeout=60) as ws:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") != "ticket":
                continue
            view = msg["ticket"]
            now = time.time()
            phone.views += 1
            if phone.views == 1:
                total[0] += 1
                if total[0] >= total[1]:
                    ready.set()
            if view["state"] == "called" and phone.called_at is None:
                phone.called_at = now
            if view.get("people_ahead") is not None and view["people_ahead"] != phone.ahead:
                phone.ahead_at[view["people_ahead"]] = now
            phone.ahead = view.get("people_ahead")
            phone.state = view["state"]


async def board_stream(url: str, cookie: str, calls: dict[str, float], up: asyncio.Event) -> None:
    async with websockets.connect(
        f"{url}/ws/live?channel=board", additional_headers={"Cookie": cookie}, open_timeout=30
    ) as ws:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "snapshot":
                up.set()
            elif msg.get("type") == "call":
                calls.setdefault(msg["call"]["ticket_id"], time.time())


async def wait_until(check: Any, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        await asyncio.sleep(0.002)
    return False


async def run(url: str, ticket_ids: list[str], board_cookie: str, calls: int, pid: int) -> None:
    base_ws = "ws" + url.removeprefix("http")
    phones = [Phone(t) for t in ticket_ids]
    ready = asyncio.Event()
    total = [0, len(phones)]
    board_calls: dict[str, float] = {}
    board_up = asyncio.Event()
    tasks = [asyncio.create_task(board_stream(base_ws, board_cookie, board_calls, board_up))]
    t_connect = time.time()
    for k in range(0, len(phones), 50):  # as phones scan their tickets: not all in one ms
        tasks += [asyncio.create_task(follow(base_ws, p, ready, total)) for p in phones[k : k + 50]]
        await asyncio.sleep(0.02)
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.wait_for(board_up.wait(), 30)
    connect_s = time.time() - t_connect
    print(f"{len(phones)} phones connected, each with its first view, in {connect_s:.1f} s")
    idle_cpu0, idle_t0 = cpu_seconds(pid), time.time()
    await asyncio.sleep(5)
    idle_cpu = (cpu_seconds(pid) - idle_cpu0) / (time.time() - idle_t0)

    board_ms: list[float] = []
    banner_ms: list[float] = []
    fanout_ms: list[float] = []
    http_ms: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as api:
        heads = {}
        for desk, user in zip(DESKS, ("lan", "hung"), strict=True):
            r = await api.post("/api/login", json={"username": user, "password": PASSWORD})
            heads[desk] = {"Authorization": f"Bearer {r.json()['token']}"}
            opened = await api.post(f"/api/sites/gialoc/desks/{desk}/open", headers=heads[desk])
            assert opened.status_code == 200, opened.text
        await asyncio.sleep(1)  # let the desks' opening reach every phone (ETA changes)
        by_id = {p.ticket_id: p for p in phones}
        cpu0, wall0 = cpu_seconds(pid), time.time()
        for i in range(calls):
            desk = DESKS[i % len(DESKS)]
            before = {p.ticket_id: p.ahead for p in phones if p.state == "waiting" and p.ahead}
            if i == 0:
                print(f"{len(before)} phones waiting with someone ahead before the first call")
            t0 = time.time()
            r = await api.post(f"/api/sites/gialoc/desks/{desk}/call-next", headers=heads[desk])
            http_ms.append((time.time() - t0) * 1000)
            assert r.status_code == 200, r.text
            called = by_id[r.json()["ticket"]["ticket_id"]]
            ok = await wait_until(
                lambda c=called: c.called_at is not None and c.ticket_id in board_calls, 30
            )
            assert ok, f"call {i}: no banner or no board call within 30 s"
            assert called.called_at is not None
            banner_ms.append((called.called_at - t0) * 1000)
            board_ms.append((board_calls[called.ticket_id] - t0) * 1000)
            # FIFO: everyone who waited behind the called ticket moves up by one
            want = {t: a - 1 for t, a in before.items() if t != called.ticket_id and a is not None}
            ok = await wait_until(lambda w=want: all(by_id[t].ahead == a for t, a in w.items()), 30)
            if ok and want:
                fanout_ms.append((max(by_id[t].ahead_at[a] for t, a in want.items()) - t0) * 1000)
            done = await api.post(f"/api/sites/gialoc/desks/{desk}/done", headers=heads[desk])
            assert done.status_code == 200, done.text
        calls_cpu = (cpu_seconds(pid) - cpu0) / (time.time() - wall0)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(f"{'':46} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    print(row("clerk's call-next HTTP round trip", http_ms))
    print(row("call → board (baseline)", board_ms))
    print(row("call → banner view on the called phone", banner_ms))
    print(row("call → new position on every waiting phone", fanout_ms))
    print(f"server CPU, {len(phones)} phones idle:  {idle_cpu:.2f} core")
    print(f"server CPU, during the calls:     {calls_cpu:.2f} core")


def issue(kiosk: MqttLink) -> str:
    response = request_ticket(kiosk, SERVICE)
    assert response.ok and response.ticket is not None, response
    return str(response.ticket.ticket_id)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=500)
    ap.add_argument("--calls", type=int, default=60)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="motcua-phone-bench-"))
    http_port = free_port()
    db_url = f"sqlite:///{tmp / 'motcua.db'}"
    data = site_data()
    data["server"]["data_dir"] = str(tmp / "data")
    data["server"]["http"] = {"host": "127.0.0.1", "port": http_port}
    data["server"]["broker"].update(embedded=False, host="127.0.0.1", password_env="BENCH_MQ_PW")
    path = tmp / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    site = load_site_config(path)
    broker = start_mosquitto(site, tmp / "mq")
    env = {**os.environ, "BENCH_MQ_PW": broker.server_password}
    cmd = [sys.executable, "-m", "motcua.cli", "server", "--config", str(path)]
    cmd += ["--database-url", db_url, "--broker-port", str(broker.port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}"
    kiosk = None
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        db = Database(db_url)
        with db.write() as s:
            for name, role, clerk in (("lan", "clerk", "c01"), ("hung", "clerk", "c02")):
                add_user(s, site, name, PASSWORD, role, clerk)
            add_user(s, site, "tv-sanh", PASSWORD, "board", None)
        with db.write() as s:
            from sqlalchemy import select

            board = s.scalar(select(UserRow).where(UserRow.username == "tv-sanh"))
            assert board is not None
            token, _ = issue_token(s, user_of(board))
        kiosk = started(device_link(site, broker, "kiosk-1", tmp))
        t0 = time.time()
        ids = [issue(kiosk) for _ in range(args.phones)]
        print(f"{args.phones} tickets issued over MQTT in {time.time() - t0:.1f} s")
        asyncio.run(run(url, ids, f"{SESSION_COOKIE}={token}", args.calls, proc.pid))
    finally:
        if kiosk is not None:
            kiosk.stop()
        proc.terminate()
        proc.wait(30)
        broker.stop()


if __name__ == "__main__":
    main()
