"""The MQTT topic tree: builders for every topic and a parser for inbound ones.

Layout (DESIGN.md): ``{prefix}/{site}/...`` with the device or desk id in a fixed
position, lowercase levels, no leading slash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_PREFIX = "motcua/v1"
_ID = r"[a-z0-9][a-z0-9_-]{0,31}"


class TopicKind(StrEnum):
    TICKET_REQUEST = "ticket_request"
    TICKET_RESPONSE = "ticket_response"
    TICKET_OFFLINE = "ticket_offline"
    KIOSK_RESERVE = "kiosk_reserve"
    KIOSK_RATING = "kiosk_rating"
    DESK_RATING = "desk_rating"
    DESK_STATE = "desk_state"
    DESK_STATS = "desk_stats"
    QUEUE = "queue"
    BOARD_CALL = "board_call"
    DEVICE_STATUS = "device_status"
    DEVICE_HEALTH = "device_health"
    DEVICE_RECEIPT = "device_receipt"
    SERVER_STATUS = "server_status"
    SERVER_REJECTED = "server_rejected"
    SERVER_HEARTBEAT = "server_heartbeat"


# (kind, pattern after the root, name of the id captured)
_PATTERNS: tuple[tuple[TopicKind, str, str | None], ...] = (
    (TopicKind.TICKET_REQUEST, rf"kiosk/({_ID})/ticket/request", "kiosk_id"),
    (TopicKind.TICKET_RESPONSE, rf"kiosk/({_ID})/ticket/response", "kiosk_id"),
    (TopicKind.TICKET_OFFLINE, rf"kiosk/({_ID})/ticket/offline", "kiosk_id"),
    (TopicKind.KIOSK_RESERVE, rf"kiosk/({_ID})/reserve", "kiosk_id"),
    (TopicKind.KIOSK_RATING, rf"kiosk/({_ID})/rating", "kiosk_id"),
    (TopicKind.DESK_RATING, rf"desk/({_ID})/rating", "desk_id"),
    (TopicKind.DESK_STATE, rf"desk/({_ID})/state", "desk_id"),
    (TopicKind.DESK_STATS, rf"desk/({_ID})/stats", "desk_id"),
    (TopicKind.QUEUE, rf"queue/({_ID})", "service"),
    (TopicKind.BOARD_CALL, r"board/call", None),
    (TopicKind.DEVICE_STATUS, rf"device/({_ID})/status", "device_id"),
    (TopicKind.DEVICE_HEALTH, rf"device/({_ID})/health", "device_id"),
    (TopicKind.DEVICE_RECEIPT, rf"device/({_ID})/receipt", "device_id"),
    (TopicKind.SERVER_STATUS, r"server/status", None),
    (TopicKind.SERVER_REJECTED, r"server/rejected", None),
    (TopicKind.SERVER_HEARTBEAT, r"server/heartbeat", None),
)
_COMPILED = tuple((kind, re.compile(f"^{pat}$"), name) for kind, pat, name in _PATTERNS)


@dataclass(frozen=True)
class TopicMatch:
    kind: TopicKind
    #: The id in the topic (kiosk, desk, service or device id), if the topic has one.
    ident: str | None = None


@dataclass(frozen=True)
class Topics:
    """Topic names for one site."""

    site: str
    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not re.fullmatch(_ID, self.site):
            raise ValueError(f"invalid site code {self.site!r}")
        if not re.fullmatch(r"[a-z0-9_-]+(/[a-z0-9_-]+)*", self.prefix):
            raise ValueError(f"invalid topic prefix {self.prefix!r}")

    @property
    def root(self) -> str:
        return f"{self.prefix}/{self.site}"

    def _t(self, *levels: str) -> str:
        return "/".join((self.root, *levels))

    def ticket_request(self, kiosk_id: str) -> str:
        return self._t("kiosk", kiosk_id, "ticket", "request")

    def ticket_response(self, kiosk_id: str) -> str:
        return self._t("kiosk", kiosk_id, "ticket", "response")

    def ticket_offline(self, kiosk_id: str) -> str:
        return self._t("kiosk", kiosk_id, "ticket", "offline")

    def kiosk_reserve(self, kiosk_id: str) -> str:
        return self._t("kiosk", kiosk_id, "reserve")

    def kiosk_rating(self, kiosk_id: str) -> str:
        return self._t("kiosk", kiosk_id, "rating")

    def desk_rating(self, desk_id: str) -> str:
        return self._t("desk", desk_id, "rating")

    def desk_state(self, desk_id: str) -> str:
        return self._t("desk", desk_id, "state")

    def desk_stats(self, desk_id: str) -> str:
        return self._t("desk", desk_id, "stats")

    def queue(self, service: str) -> str:
        return self._t("queue", service)

    def board_call(self) -> str:
        return self._t("board", "call")

    def device_status(self, device_id: str) -> str:
        return self._t("device", device_id, "status")

    def device_health(self, device_id: str) -> str:
        return self._t("device", device_id, "health")

    def device_receipt(self, device_id: str) -> str:
        return self._t("device", device_id, "receipt")

    def server_status(self) -> str:
        return self._t("server", "status")

    def server_rejected(self) -> str:
        return self._t("server", "rejected")

    def server_heartbeat(self) -> str:
        """The server's message to itself: proves its subscriptions still work."""
        return self._t("server", "heartbeat")

    def server_inbound_filters(self) -> list[str]:
        """Everything the server consumes."""
        return [
            self._t("kiosk", "+", "ticket", "request"),
            self._t("kiosk", "+", "ticket", "offline"),
            self._t("kiosk", "+", "rating"),
            self._t("desk", "+", "rating"),
            self._t("device", "+", "status"),
            self._t("device", "+", "health"),
        ]

    def parse(self, topic: str) -> TopicMatch | None:
        """Classify a topic of this site; ``None`` for anything else."""
        head = self.root + "/"
        if not topic.startswith(head):
            return None
        rest = topic[len(head) :]
        for kind, pattern, name in _COMPILED:
            m = pattern.match(rest)
            if m:
                return TopicMatch(kind, m.group(1) if name else None)
        return None
