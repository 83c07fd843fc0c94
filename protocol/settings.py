"""Connection settings shared by every device config and the server config."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from protocol.topics import DEFAULT_PREFIX


class BrokerSettings(BaseModel):
    """Where and how to reach the MQTT broker."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = Field(default=None, max_length=64)
    password: SecretStr | None = None
    #: CA certificate file: set it to connect with TLS (e.g. Mosquitto on port 8883).
    tls_ca_file: Path | None = None
    keepalive_s: int = Field(default=30, ge=5, le=600)
    prefix: str = Field(default=DEFAULT_PREFIX, max_length=64)
    #: Back-off between reconnect attempts grows from min to max seconds.
    reconnect_min_s: int = Field(default=1, ge=1, le=60)
    reconnect_max_s: int = Field(default=30, ge=1, le=600)
