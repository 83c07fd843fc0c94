"""The hub Mosquitto's files (``motcua hub broker-config``): its configuration, the
password file (the workers' account and one per office) and the ACL: an office writes
only its own site's facts, pulse and link, and reads only its own receipts; the workers
read every office's and write the receipts.

Two listeners: the workers' (``broker.host:port``, inside the hub's network) and the
offices' (``broker.wan``: TLS, and a client's id is its account, so no office can take
over another's session). In production the same rules go into the EMQX or VerneMQ
cluster's authorisation (docs/hub.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from hub.config import HubConfig
from protocol.decoding import MAX_PACKET_BYTES
from protocol.hub import HUB_DIRECTION, HubTopics
from server.broker.mosquitto_config import HEADER
from server.config import ConfigError
from server.db.database import Database
from server.db.tables import OfficeRow
from server.files import replace_file

#: Pulses carry an office's configuration: allow a little more than a device packet.
HUB_MAX_PACKET = 4 * MAX_PACKET_BYTES


@dataclass(frozen=True)
class HubBrokerFiles:
    conf: Path
    passwd: Path
    acl: Path


def office_rules(prefix: str, site: str) -> list[str]:
    topics = HubTopics(site, prefix)
    lines = []
    for kind, direction in HUB_DIRECTION.items():
        access = "write" if direction == "out" else "read"
        lines.append(f"topic {access} {topics.topic(kind)}")
    return lines


def worker_rules(prefix: str) -> list[str]:
    topics = HubTopics("+", prefix)
    return [
        f"topic {'read' if direction == 'out' else 'write'} {topics.topic(kind)}"
        for kind, direction in HUB_DIRECTION.items()
    ]


def acl_text(config: HubConfig, offices: list[tuple[str, str]]) -> str:
    prefix = config.broker.prefix
    out = [HEADER, f"user {config.broker.username}", *worker_rules(prefix), ""]
    for code, username in offices:
        out += [f"user {username}", *office_rules(prefix, code), ""]
    return "\n".join(out)


def conf_text(
    config: HubConfig,
    files: HubBrokerFiles,
    persistence: Path,
    *,
    log_dest: str = "stderr",
    run_as: str | None = None,
) -> str:
    broker, wan = config.broker, config.broker.wan
    lines = [
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {files.passwd.resolve()}",
        f"acl_file {files.acl.resolve()}",
        f"max_packet_size {HUB_MAX_PACKET}",
        "persistence true",
        f"persistence_location {persistence.resolve()}/",
        "autosave_interval 30",
        # a province's catch-up after a WAN outage goes through these queues
        "max_queued_messages 1000000",
        f"max_inflight_messages {config.worker.max_inflight}",
        "set_tcp_nodelay true",
        f"log_dest {log_dest}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        *([f"user {run_as}"] if run_as else []),
        # the workers: several share one stream, each with its own client id
        f"listener {broker.port} {broker.host}",
        "max_connections -1",
        # the offices' bridges, across the WAN
        f"listener {wan.port} {wan.bind}",
        "use_username_as_clientid true",
        "max_connections -1",
    ]
    if wan.tls:
        lines += [
            f"certfile {Path(str(wan.cert_file)).resolve()}",
            f"keyfile {Path(str(wan.key_file)).resolve()}",
            f"cafile {Path(str(wan.ca_file)).resolve()}",
            "tls_version tlsv1.2",
        ]
    return HEADER + "\n".join(lines) + "\n"


def office_accounts(db: Database) -> list[tuple[str, str, str]]:
    """(site code, broker username, password hash) of every office with an account."""
    with db.read() as s:
        rows = s.scalars(select(OfficeRow).order_by(OfficeRow.code))
        return [(r.code, office_username(r.code), r.password_hash) for r in rows if r.password_hash]


def office_username(code: str) -> str:
    return f"office-{code}"[:32]


def write_hub_broker(
    config: HubConfig,
    db: Database,
    out_dir: Path,
    *,
    log_dest: str = "stderr",
    run_as: str | None = None,
) -> HubBrokerFiles:
    """Write ``mosquitto.conf``, ``passwd`` and ``acl`` for the hub broker into
    ``out_dir`` (0640: for the ``mosquitto`` group). Run again after ``add-office``
    (it does) and reload Mosquitto (SIGHUP) to let a new office in."""
    worker_hash = config.broker.password_hash
    if not worker_hash:
        raise ConfigError(
            "broker.password_hash is missing in hub.yaml: the workers' account needs it "
            "(make one with `motcua broker-config hash --generate`)"
        )
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    files = HubBrokerFiles(out_dir / "mosquitto.conf", out_dir / "passwd", out_dir / "acl")
    persistence = out_dir / "data"
    persistence.mkdir(parents=True, exist_ok=True, mode=0o750)
    offices = office_accounts(db)
    passwd = [f"{config.broker.username}:{worker_hash}"] + [f"{u}:{h}" for _c, u, h in offices]
    replace_file(files.passwd, ("\n".join(passwd) + "\n").encode(), 0o640)
    acl = acl_text(config, [(c, u) for c, u, _h in offices])
    replace_file(files.acl, acl.encode(), 0o640)
    replace_file(
        files.conf,
        conf_text(config, files, persistence, log_dest=log_dest, run_as=run_as).encode(),
        0o640,
    )
    return files
