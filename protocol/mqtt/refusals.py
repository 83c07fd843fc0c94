"""What the broker refuses, said once and clearly: a refused log-in and a refused
subscription.

A broker that refuses a device's password refuses it again at every reconnect (every
few seconds): logging each attempt the same way buried the cause in a loop of "Not
authorized". The first refusal of a kind is logged with what to check; repeats go to
the debug log until the link connects again.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("protocol.mqtt.connection")

#: CONNACK codes of a refused account: MQTT 3.1.1 (4, 5) and their MQTT 5 forms.
AUTH_REFUSED = frozenset({4, 5, 134, 135})

#: SUBACK codes of a refused subscription: 0x80 (3.1.1) and MQTT 5's failures.
SUB_FAILURE_MIN = 0x80


def is_auth_refusal(reason: Any) -> bool:
    return getattr(reason, "value", None) in AUTH_REFUSED


class RefusalLog:
    """Logs a refused connection once per cause, with a hint for a refused account."""

    def __init__(self, host: str, port: int, username: str | None) -> None:
        self.where = f"{host}:{port}"
        self.username = username
        self._last: str | None = None
        self._auth = False
        #: What to check when the account is refused, instead of the generic hint (the
        #: server names its own variable and hash).
        self.auth_hint: str | None = None

    @property
    def current(self) -> str | None:
        """The reason of the refusal in force; None once the link connects."""
        return self._last

    @property
    def account_refused(self) -> bool:
        """The refusal in force is of the account (wrong user name or password)."""
        return self._last is not None and self._auth

    def refused(self, reason: Any) -> None:
        text = str(reason)
        if text == self._last:
            log.debug("MQTT connection refused again by %s: %s", self.where, text)
            return
        self._last = text
        self._auth = is_auth_refusal(reason)
        hint = ""
        if self._auth and self.auth_hint:
            hint = f" — {self.auth_hint}; retrying quietly"
        elif self._auth:
            hint = (
                f" — check the password of account {self.username!r} (its environment "
                "variable or broker.password) against its password_hash in the site YAML, "
                "and that the broker's password file was rewritten and reloaded; "
                "retrying quietly"
            )
        log.error("MQTT connection refused by %s: %s%s", self.where, text, hint)

    def connected(self) -> None:
        self._last = None


def refused_codes(reasons: Any) -> list[Any]:
    """The failure codes among a SUBACK's reason codes."""
    out = []
    for r in reasons:
        value = getattr(r, "value", r)
        if isinstance(value, int) and value >= SUB_FAILURE_MIN:
            out.append(r)
    return out
