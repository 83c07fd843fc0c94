"""A hub on loopback for tests and benchmarks: its PostgreSQL database, its Mosquitto
(files from `hub.broker_files`, TLS on the offices' listener), worker processes
(``motcua hub``), and office sites bridged to it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from hub.accounts import OfficeAccount, add_office
from hub.broker_files import write_hub_broker
from hub.config import HubConfig, parse_hub_config
from protocol.hub import HubFact, HubTopics, TicketEventFact, TicketSnap
from server.broker.certificates import issue
from server.broker.passwords import hash_device_password
from server.config import SiteConfig, parse_site_config
from server.db.database import Database
from server.db.migrate import upgrade
from tests.support.processes import interrupt
from tests.support.services import PgDatabase, free_port, wait_port
from tests.support.sites import site_data

ROOT = Path(__file__).resolve().parents[2]
WORKER_PASSWORD = "hub-worker-test-password"


@dataclass
class Hub:
    workdir: Path
    pg: PgDatabase
    config: HubConfig
    config_file: Path
    db: Database
    broker: subprocess.Popen[bytes] | None = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    accounts: dict[str, OfficeAccount] = field(default_factory=dict)

    @property
    def ca_file(self) -> Path:
        return self.workdir / "tls" / "ca.crt"

    def add_office(self, code: str, name: str, group: str) -> OfficeAccount:
        account = add_office(
            self.config, self.db, code, name=name, group=group, out_dir=self.broker_dir
        )
        self.accounts[code] = account
        self.write_broker()
        if self.broker is not None:
            self.broker.send_signal(1)  # SIGHUP: Mosquitto reads passwd and acl again
        return account

    @property
    def broker_dir(self) -> Path:
        return self.workdir / "broker"

    def write_broker(self) -> None:
        write_hub_broker(
            self.config,
            self.db,
            self.broker_dir,
            log_dest=f"file {self.broker_dir / 'mosquitto.log'}",
            run_as="root" if os.geteuid() == 0 else None,
        )

    def start_broker(self) -> None:
        self.write_broker()
        self.broker = subprocess.Popen(
            ["mosquitto", "-c", str(self.broker_dir / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.config.broker.port)
        wait_port(self.config.broker.wan.port)

    def broker_log(self) -> str:
        p = self.broker_dir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, self.config.broker.password_env: WORKER_PASSWORD}
        log = (self.workdir / f"worker-{name}.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "motcua.cli",
                "hub",
                "--config",
                str(self.config_file),
                "--name",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers[name] = proc
        return proc

    def worker_log(self, name: str) -> str:
        return (self.workdir / f"worker-{name}.log").read_text(errors="replace")

    def kill_worker(self, name: str) -> None:
        proc = self.workers.pop(name)
        proc.kill()
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.workers.values():
            if proc.poll() is None:
                interrupt(proc)
        self.workers.clear()
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            self.broker.wait(10)
        self.db.dispose()


def make_hub(workdir: Path, pg: PgDatabase, *, tls: bool = True, **worker: Any) -> Hub:
    """A hub with TLS on the offices' listener (certificates for 127.0.0.1), or plain
    MQTT there (``tls=False``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    certs = workdir / "tls"
    issue(certs, site_name="Trung tâm thử", site_code="hub", hosts=["127.0.0.1"])
    data = {
        "name": "Tỉnh Thử Nghiệm",
        "database_url": pg.url,
        "data_dir": str(workdir / "data"),
        "broker": {
            "host": "127.0.0.1",
            "port": free_port(),
            "password_hash": hash_device_password(WORKER_PASSWORD),
            "wan": {
                "bind": "127.0.0.1",
                "port": free_port(),
                "public_host": "127.0.0.1",
                **(
                    {
                        "cert_file": str(certs / "server.crt"),
                        "key_file": str(certs / "server.key"),
                        "ca_file": str(certs / "ca.crt"),
                    }
                    if tls
                    else {}
                ),
            },
        },
        "worker": worker,
    }
    config = parse_hub_config(data, "test-hub")
    config_file = workdir / "hub.yaml"
    config_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    db = Database(pg.url)
    upgrade(db)
    return Hub(workdir, pg, config, config_file, db)


def office_site(
    code: str,
    name: str,
    hub: Hub,
    *,
    wan_port: int,
    workdir: Path,
    password_env: str,
    **uplink: Any,
) -> SiteConfig:
    """An office (the example site under another code) with a one-box broker bridged
    to ``hub`` through ``127.0.0.1:wan_port`` (a proxy or the hub's own port)."""
    account = hub.accounts[code]
    data = site_data(
        site={"code": code, "name": name},
        server={
            "database_url": f"sqlite:///{workdir / 'office.db'}",
            "data_dir": str(workdir / "var"),
            "http": {"host": "127.0.0.1", "port": free_port()},
            "broker": {"embedded": True, "bind": "127.0.0.1", "port": free_port()},
        },
        hub={
            "host": "127.0.0.1",
            "port": wan_port,
            "username": account.username,
            "password_env": password_env,
            "ca_file": str(hub.ca_file) if hub.config.broker.wan.tls else None,
            **uplink,
        },
    )
    os.environ[password_env] = account.password
    return parse_site_config(data, f"office {code}")


def totals(db: Database, site: str, queries: dict[str, Callable[..., Any]]) -> dict[str, Any]:
    with db.read() as s:
        return {name: q(s, site) for name, q in queries.items()}


def sample_fact(site: str, event_id: int, ticket_id: uuid.UUID | None = None) -> HubFact:
    """A ticket issued at ``site``: its first event (office id ``event_id``) with the
    ticket's snapshot."""
    tid = ticket_id or uuid.uuid4()
    at = datetime.now(UTC)
    ticket = TicketSnap(
        id=tid,
        service="tp",
        day=at.date(),
        seq=event_id,
        number=f"A{event_id:03d}",
        priority=None,
        state="issued",
        issued_at=at,
        first_called_at=None,
        called_at=None,
        started_at=None,
        ended_at=None,
        desk_id=None,
        clerk_id=None,
        recall_count=0,
        kiosk_id="kiosk-1",
        offline=False,
        transferred_from=None,
        dossier_code=None,
        version=event_id,
    )
    event = TicketEventFact(
        id=event_id, ticket_id=tid, kind="issued", at=at, desk_id=None, clerk_id=None, data=None
    )
    return HubFact(site=site, stream="ticket_events", id=event_id, ticket=ticket, event=event)


def office_client(hub: Hub, code: str, password: str | None = None) -> mqtt.Client:
    """A plain paho client logged in as office ``code`` on the hub's offices' listener
    (TLS when the hub has it), connected."""
    account = hub.accounts[code]
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=account.username, protocol=mqtt.MQTTv311
    )
    client.username_pw_set(account.username, password or account.password)
    if hub.config.broker.wan.tls:
        client.tls_set(ca_certs=str(hub.ca_file))
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: rc == 0 and connected.set()
    client.connect("127.0.0.1", hub.config.broker.wan.port)
    client.loop_start()
    assert connected.wait(15), f"office {code} could not log in to the hub"
    return client


def worker_client(hub: Hub) -> tuple[mqtt.Client, list[mqtt.MQTTMessage]]:
    """A plain subscriber with the workers' account, reading every office's facts."""
    got: list[mqtt.MQTTMessage] = []
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="test-watch", protocol=mqtt.MQTTv311
    )
    client.username_pw_set(hub.config.broker.username, WORKER_PASSWORD)
    subscribed = threading.Event()
    client.on_message = lambda c, u, m: got.append(m)
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", hub.config.broker.port)
    client.loop_start()
    client.subscribe(HubTopics("+", hub.config.broker.prefix).topic("facts"), 1)
    assert subscribed.wait(15)
    return client, got
