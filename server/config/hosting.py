"""Where and how the server itself runs: its HTTP listener and trusted proxies, where it
finds its MQTT broker (its own one-box Mosquitto or one run apart), its database and its
data folder.

Separate from the office's description: the same office can move to another machine
or database without a word of the rest changing.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator

from protocol.text import Identifier
from protocol.topics import DEFAULT_PREFIX
from server.config.base import FrozenModel


class HttpSettings(FrozenModel):
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    #: Reverse proxies (addresses or networks, e.g. 127.0.0.1, 10.0.0.0/24) whose
    #: X-Forwarded-For / X-Forwarded-Proto are believed. Empty: the headers are ignored,
    #: so a client cannot pick the address the log-in rate limit counts.
    trusted_proxies: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        out = []
        for item in v:
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/24)"
                ) from None
        return out


class BrokerPlacement(FrozenModel):
    """Where the server finds its broker."""

    #: ``true``: the server starts and supervises its own Mosquitto (the one-box broker,
    #: files in ``data_dir/broker``); ``false``: connect to a Mosquitto/EMQX run apart.
    embedded: bool = True
    #: Address the one-box broker listens on (the LAN address, or 0.0.0.0).
    bind: str = "0.0.0.0"
    #: The one-box broker's binary (default: ``mosquitto`` on PATH or in /usr/sbin).
    mosquitto: Path | None = None
    #: Where the server connects (the embedded broker or an external Mosquitto/EMQX).
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    prefix: str = DEFAULT_PREFIX
    username: Identifier = "server"
    #: Hash of the server's own broker password, for Mosquitto's password file.
    password_hash: str | None = None
    #: The server's own password is read from this environment variable.
    password_env: str = "MOTCUA_MQTT_PASSWORD"
    tls_ca_file: Path | None = None


class ServerSettings(FrozenModel):
    database_url: str = "sqlite:///var/motcua.db"
    http: HttpSettings = HttpSettings()
    broker: BrokerPlacement = BrokerPlacement()
    #: Where devices' retained states are mirrored for the web (and where var/ lives).
    data_dir: Path = Path("var")
