"""Where and how the server itself runs: its HTTP listener and trusted proxies, where it
finds its MQTT broker (its own one-box Mosquitto or one run apart), its database and its
data folder.

Separate from the office's description: the same office can move to another machine
or database without a word of the rest changing.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from protocol.text import Identifier
from protocol.topics import DEFAULT_PREFIX
from server.config.base import FrozenModel


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpSettings(FrozenModel):
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    #: Reverse proxies (addresses or networks, e.g. 127.0.0.1, 10.0.0.0/24) whose
    #: X-Forwarded-For / X-Forwarded-Proto are believed. Empty: the headers are ignored,
    #: so a client cannot pick the address the log-in rate limit counts.
    trusted_proxies: list[str] = Field(default_factory=list, max_length=100)
    #: HTTPS straight from the server (e.g. ``server.crt``/``server.key`` made by
    #: ``motcua broker-config tls``); both or neither. Or a reverse proxy in front.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None

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

    @model_validator(mode="after")
    def _cert_and_key(self) -> HttpSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together: set both or neither")
        return self

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert_file is not None else "http"


class BrokerTls(FrozenModel):
    """Mosquitto's TLS listener (files made by ``motcua broker-config tls``)."""

    port: int = Field(default=8883, ge=1, le=65535)
    cert_file: Path
    key_file: Path
    #: The site's CA certificate (``ca.crt``): devices get a copy of this file only.
    ca_file: Path
    #: Keep the plain listener (``server.broker.port``) on 127.0.0.1 only, for the server
    #: on this machine: loopback traffic never leaves the machine, and the server's own
    #: link then does not depend on the certificate. ``false``: TLS only.
    local_plain: bool = True


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
    #: The server connects with TLS to ``host:port``, verifying this CA (a broker run
    #: apart with TLS on ``port``). For a broker whose files motcua writes, use ``tls``.
    tls_ca_file: Path | None = None
    #: A TLS listener for the devices (Mosquitto, one-box or run apart).
    tls: BrokerTls | None = None

    @model_validator(mode="after")
    def _ports_differ(self) -> BrokerPlacement:
        if self.tls is not None and self.tls.local_plain and self.tls.port == self.port:
            raise ValueError(
                f"tls.port {self.tls.port} is also the plain port: give TLS another port "
                "(8883) or set tls.local_plain: false"
            )
        return self

    def link_endpoint(self, port: int | None = None) -> tuple[int, Path | None]:
        """Where the server's own link connects: the port, and the CA to verify (None:
        plain MQTT). ``port`` overrides the plain port (tests, ``--broker-port``)."""
        plain = port or self.port
        tls = self.tls
        if self.tls_ca_file is not None or tls is None:
            return plain, self.tls_ca_file
        if tls.local_plain and _is_loopback(self.host):
            return plain, None
        return tls.port, tls.ca_file


class ServerSettings(FrozenModel):
    database_url: str = "sqlite:///var/motcua.db"
    http: HttpSettings = HttpSettings()
    broker: BrokerPlacement = BrokerPlacement()
    #: Where devices' retained states are mirrored for the web (and where var/ lives).
    data_dir: Path = Path("var")
