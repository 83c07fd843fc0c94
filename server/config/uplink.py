"""The site YAML's ``hub:`` section: this office forwards its committed facts to a hub
(issue 16, docs/hub.md). ``motcua hub add-office`` prints it for each office.

The office's broker (one-box or run apart) gets a Mosquitto bridge, ``connection
hub``, to ``host:port`` with this account; the password is read from ``password_env``
when the broker's files are written (Mosquitto's bridge needs it in clear, in a file
only the broker reads).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr

from protocol.text import Identifier
from server.config.base import FrozenModel


class HubUplink(FrozenModel):
    #: The hub broker, across the WAN.
    host: str
    port: int = Field(default=8883, ge=1, le=65535)
    #: This office's account on the hub broker (``office-{site}``).
    username: Identifier
    password_env: str = "MOTCUA_HUB_PASSWORD"
    #: The hub's CA certificate: the bridge speaks TLS and checks the hub's name.
    #: None: plain MQTT (only for a hub on the same machine, e.g. tests).
    ca_file: Path | None = None
    #: A fact not receipted by the hub within this time is sent again.
    resend_after_s: float = Field(default=30.0, gt=0, le=3600)
    #: At most this many facts are on their way (sent, not yet receipted).
    window: int = Field(default=2000, ge=1, le=100_000)
    #: How often the office tells the hub it is alive (its live figures).
    pulse_every_s: float = Field(default=15.0, gt=0, le=3600)
    #: Messages Mosquitto's bridge may queue while the WAN is down (the office's
    #: database keeps every fact regardless: an overflow costs only a resend).
    bridge_queue: int = Field(default=100_000, ge=100, le=10_000_000)

    def password(self) -> SecretStr | None:
        value = os.environ.get(self.password_env)
        return SecretStr(value) if value else None
