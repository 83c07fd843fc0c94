"""Why a connection cannot even be opened, said once and with what to check.

paho retries a failed connection quietly (its own debug log says only "Connection failed,
retrying"): a device with the wrong ``tls_ca_file``, a host name its broker certificate
does not carry, or the plain port where TLS is expected, looped with nothing in its log.
paho calls ``on_connect_fail`` inside its ``except OSError`` block, so the error is
``sys.exc_info()`` there. Repeats of the same cause go to the debug log until the link
connects again.
"""

from __future__ import annotations

import logging
import ssl
import sys
from typing import Any

from protocol.mqtt.connection import Connection
from protocol.settings import BrokerSettings

log = logging.getLogger("protocol.mqtt.connection")


def describe(error: BaseException, settings: BrokerSettings) -> str:
    """One line: what failed and what to check."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(error, ssl.SSLCertVerificationError):
        if "mismatch" in str(error) or error.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            return (
                f"TLS: the broker's certificate does not name {settings.host!r} ({error}) — "
                "set broker.host to a name or address the certificate carries, or issue a "
                f"new one with `motcua broker-config tls --host {settings.host}`"
            )
        return (
            f"TLS: the certificate of {where} is not trusted ({error}) — broker.tls_ca_file "
            f"({settings.tls_ca_file}) must be a copy of this site's ca.crt"
        )
    if isinstance(error, ssl.SSLError) or (
        settings.tls_ca_file and isinstance(error, ConnectionResetError)
    ):  # a plain listener answers a TLS hello by closing the connection
        return (
            f"TLS handshake with {where} failed ({error}) — is {settings.port} the "
            "broker's TLS port (8883 by default)?"
        )
    if isinstance(error, ConnectionRefusedError):
        return f"nothing accepts connections on {where} — is the broker running on that port?"
    return f"cannot connect to {where}: {error}"


class ConnectFailureLog:
    """paho's ``on_connect_fail``: logs the cause once, until the link connects."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.settings = settings
        self.last: str | None = None

    def __call__(self, client: Any, userdata: Any) -> None:
        error = sys.exc_info()[1]
        if error is None:
            return
        text = describe(error, self.settings)
        if text == self.last:
            log.debug("MQTT connection failed again: %s", text)
            return
        self.last = text
        log.error("MQTT connection failed: %s; retrying quietly", text)

    def connected(self) -> None:
        self.last = None


def attach(connection: Connection) -> ConnectFailureLog:
    failures = ConnectFailureLog(connection.settings)
    connection.client.on_connect_fail = failures
    connection.on_connected(failures.connected)
    return failures
