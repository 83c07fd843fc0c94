"""``hub.yaml``: the hub's own configuration (``motcua hub --config hub.yaml``).

Which offices exist is not listed here: ``motcua hub add-office`` records each in the
hub database and in the hub broker's password file (`hub.accounts`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, SecretStr, ValidationError

from protocol.config_errors import format_validation_error, yaml_error_message
from protocol.text import Identifier, ShortText
from protocol.topics import DEFAULT_PREFIX
from server.config import DEFAULT_TARGETS, ConfigError, FrozenModel, Percent


class HubWan(FrozenModel):
    """The hub broker's listener for the offices' bridges, across the WAN: TLS (files
    from ``motcua hub tls``), one account per office, a client's id is its
    account."""

    bind: str = "0.0.0.0"
    port: int = Field(default=8883, ge=1, le=65535)
    #: None (all three): plain MQTT, for a hub on the same machine only (tests).
    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None
    #: The name offices connect to (``add-office`` prints it), as in the certificate.
    public_host: str = "hub.example.vn"

    @property
    def tls(self) -> bool:
        return self.cert_file is not None


class HubBroker(FrozenModel):
    """The hub broker (Mosquitto for a few offices; an EMQX/VerneMQ cluster for a
    province): where the workers connect (``host:port``, inside the hub's network) and
    the offices' listener (``wan``)."""

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    prefix: str = DEFAULT_PREFIX
    #: The workers' account (every worker uses it, each with its own client id).
    username: Identifier = "hub-worker"
    #: The workers' password is read from this environment variable.
    password_env: str = "MOTCUA_HUB_MQTT_PASSWORD"
    #: Verify the broker's TLS certificate against this CA (None: plain MQTT, loopback).
    tls_ca_file: Path | None = None
    #: The shared-subscription group the workers form (``$share/{group}/…``).
    share_group: Identifier = "hub"
    #: Mosquitto ``$7$`` hash of the workers' password (``motcua broker-config hash``),
    #: for the hub broker's password file.
    password_hash: str | None = None
    #: The offices' listener.
    wan: HubWan = HubWan()
    #: Where ``motcua hub broker-config`` and ``add-office`` write the hub Mosquitto's
    #: files (the ``motcua-hub-broker`` unit reads /etc/mosquitto/motcua-hub); default:
    #: ``data_dir/broker``.
    files_dir: Path | None = None


class HubWorkerSettings(FrozenModel):
    #: A worker stores up to this many facts per transaction …
    batch_max: int = Field(default=1000, ge=1, le=5000)
    #: … or what has come within this many milliseconds of the first.
    batch_wait_ms: int = Field(default=50, ge=1, le=5000)
    #: Unacknowledged messages the broker may have in flight to one worker.
    max_inflight: int = Field(default=2000, ge=1, le=65535)
    #: Keep the worker's MQTT session (client id ``{username}-{name}``) while it is away,
    #: so the broker queues its share. Off by default: with clean sessions a dead
    #: worker's share goes to the others at once. ``bench/hub.py`` turns it on to
    #: preload a backlog for the workers' drain.
    persistent_session: bool = False


class HubHttp(FrozenModel):
    host: str = "0.0.0.0"
    port: int = Field(default=8090, ge=1, le=65535)


class HubConfig(FrozenModel):
    #: The hub's name on its pages, e.g. "Tỉnh Quảng Ninh".
    name: ShortText
    database_url: str = "postgresql+psycopg://127.0.0.1/motcua_hub"
    broker: HubBroker = HubBroker()
    worker: HubWorkerSettings = HubWorkerSettings()
    http: HubHttp = HubHttp()
    #: Secrets and the hub broker's files (``broker/passwd``, ``broker/acl``).
    data_dir: Path = Path("var/hub")
    timezone: str = "Asia/Ho_Chi_Minh"
    #: The province's satisfaction target per year (%), as the offices' default.
    targets: dict[int, Percent] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    #: An office is shown offline when nothing came from it for this long.
    offline_after_s: int = Field(default=120, ge=5, le=86400)

    def broker_files_dir(self) -> Path:
        return self.broker.files_dir or self.data_dir / "broker"

    def database(self) -> str:
        return os.environ.get("MOTCUA_HUB_DATABASE_URL") or self.database_url

    def worker_password(self) -> SecretStr | None:
        value = os.environ.get(self.broker.password_env)
        return SecretStr(value) if value else None

    def target_for(self, year: int) -> float | None:
        if year in self.targets:
            return self.targets[year]
        earlier = [y for y in self.targets if y < year]
        return self.targets[max(earlier)] if earlier else None


def parse_hub_config(data: Any, source: str = "<hub>") -> HubConfig:
    try:
        return HubConfig.model_validate(data)
    except ValidationError as e:
        message = format_validation_error(
            source,
            e,
            "hub configuration",
            what_vi="cấu hình trung tâm",
            data=data,
            model=HubConfig,
        )
        raise ConfigError(message) from None


def load_hub_config(path: str | Path) -> HubConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: không tìm thấy tệp / file not found") from None
    except yaml.YAMLError as e:
        raise ConfigError(yaml_error_message(path, e)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: tệp phải là các nhóm khoá / expected a mapping")
    return parse_hub_config(data, str(path))
