"""The MQTT topic tree as data: one `TopicSpec` per topic, and what is derived from it.

Layout (DESIGN.md): ``{prefix}/{site}/...`` with the device or desk id in a fixed
position, lowercase levels, no leading slash.

`SPECS` is the only place that says, for each topic, its pattern, which way it flows,
whether the broker retains it, its QoS, its payload model, and which broker accounts may
write and read it. Everything else is computed from it:

* `Topics`: the builders of every topic, the parser of inbound ones and the filters the
  server subscribes with;
* the broker ACLs of both broker shapes (`server.broker.acl`);
* the retain flag and QoS the server publishes with (`server.publisher`);
* the topic and payload tables of docs/mqtt.md (`protocol.contract_doc`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel

from protocol import messages as m
from protocol.text import IDENTIFIER_PATTERN

DEFAULT_PREFIX = "motcua/v1"
#: An id inside a topic (site, device, desk, service): an `Identifier`, unanchored.
_ID = IDENTIFIER_PATTERN.strip("^$")


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


class Party(StrEnum):
    """Who holds a broker account: the server, or a device of one kind (the ``kind`` of
    a device in the site YAML)."""

    SERVER = "server"
    KIOSK = "kiosk"
    PAD = "pad"
    BOARD = "board"
    MONITOR = "monitor"


class Scope(StrEnum):
    """Which topics of a pattern a grant covers."""

    #: Every id (or the one topic, for a pattern without an id).
    ANY = "any"
    #: Only the topic whose id is the account's own device id.
    OWN = "own"
    #: Only the topic whose id is the desk the pad is bound to.
    OWN_DESK = "own_desk"


class Direction(StrEnum):
    TO_SERVER = "device → server"
    TO_DEVICES = "server → devices"
    TO_ITSELF = "server → server"


@dataclass(frozen=True)
class Grant:
    """One account kind's right on a topic, limited to ``scope``."""

    party: Party
    scope: Scope = Scope.ANY


@dataclass(frozen=True)
class TopicSpec:
    kind: TopicKind
    #: Levels under the site root; ``{name}`` is the id captured (`TopicMatch.ident`).
    pattern: str
    direction: Direction
    retained: bool
    qos: Literal[0, 1, 2]
    model: type[BaseModel]
    writers: tuple[Grant, ...]
    readers: tuple[Grant, ...]
    #: What the topic is for, one line (docs/mqtt.md).
    summary: str

    @cached_property
    def id_name(self) -> str | None:
        """The name of the id level (``kiosk_id``, ``desk_id``, …), if there is one."""
        found = re.search(r"\{(\w+)\}", self.pattern)
        return found.group(1) if found else None

    @cached_property
    def levels(self) -> tuple[str, ...]:
        """The pattern's levels; the id level is ``{}`` whatever its name."""
        return tuple("{}" if lv.startswith("{") else lv for lv in self.pattern.split("/"))

    def grants(self, access: Literal["read", "write"]) -> tuple[Grant, ...]:
        return self.readers if access == "read" else self.writers


_S, _K, _P, _B, _M = Party.SERVER, Party.KIOSK, Party.PAD, Party.BOARD, Party.MONITOR
_DEVICES = (_K, _P, _B, _M)
_SERVER = (Grant(_S),)
_OWN_KIOSK = Grant(_K, Scope.OWN)
_MONITOR = Grant(_M)
#: Each device on its own ``device/{id}/…`` topics.
_EACH_OWN = tuple(Grant(p, Scope.OWN) for p in _DEVICES)
#: Devices that show the queues and desks of the whole office.
_OFFICE_SCREENS = (Grant(_K), Grant(_B))

# fmt: off
SPECS: tuple[TopicSpec, ...] = (
    # A kiosk reads its whole kiosk/{id}/ subtree (its own events echo back to it), so
    # it is a reader of the topics it writes there too.
    TopicSpec(
        TopicKind.TICKET_REQUEST, "kiosk/{kiosk_id}/ticket/request", Direction.TO_SERVER,
        retained=False, qos=1, model=m.TicketRequest,
        writers=(_OWN_KIOSK,), readers=(Grant(_S), _OWN_KIOSK, _MONITOR),
        summary="a kiosk asks for a number (not durable: no answer in time → a reserve number)",
    ),
    TopicSpec(
        TopicKind.TICKET_RESPONSE, "kiosk/{kiosk_id}/ticket/response", Direction.TO_DEVICES,
        retained=False, qos=1, model=m.TicketResponse,
        writers=_SERVER, readers=(_OWN_KIOSK, _MONITOR),
        summary="the answer to a ticket request, correlated by `request_id`",
    ),
    TopicSpec(
        TopicKind.TICKET_OFFLINE, "kiosk/{kiosk_id}/ticket/offline", Direction.TO_SERVER,
        retained=False, qos=1, model=m.OfflineTicket,
        writers=(_OWN_KIOSK,), readers=(Grant(_S), _OWN_KIOSK, _MONITOR),
        summary="a number the kiosk issued from its reserve block, sent through its outbox",
    ),
    TopicSpec(
        TopicKind.KIOSK_RESERVE, "kiosk/{kiosk_id}/reserve", Direction.TO_DEVICES,
        retained=True, qos=1, model=m.ReserveBlocks,
        writers=_SERVER, readers=(_OWN_KIOSK, _MONITOR),
        summary="today's reserve block per service and the catalogue",
    ),
    TopicSpec(
        TopicKind.KIOSK_RATING, "kiosk/{kiosk_id}/rating", Direction.TO_SERVER,
        retained=False, qos=1, model=m.VisitRating,
        writers=(_OWN_KIOSK,), readers=(Grant(_S), _OWN_KIOSK, _MONITOR),
        summary="a citizen rates a visit at a kiosk, by ticket id (QR) or by number and day",
    ),
    TopicSpec(
        TopicKind.DESK_RATING, "desk/{desk_id}/rating", Direction.TO_SERVER,
        retained=False, qos=1, model=m.DeskRating,
        writers=(Grant(_P, Scope.OWN_DESK),), readers=(Grant(_S), _MONITOR),
        summary="the pad of the desk sends the citizen's rating of the visit just finished",
    ),
    TopicSpec(
        TopicKind.DESK_STATE, "desk/{desk_id}/state", Direction.TO_DEVICES,
        retained=True, qos=1, model=m.DeskState,
        writers=_SERVER, readers=(Grant(_P, Scope.OWN_DESK), *_OFFICE_SCREENS, _MONITOR),
        summary="the desk: open, clerk, ticket in hand, the visit awaiting a rating",
    ),
    TopicSpec(
        TopicKind.DESK_STATS, "desk/{desk_id}/stats", Direction.TO_DEVICES,
        retained=True, qos=1, model=m.DeskStats,
        writers=_SERVER, readers=(Grant(_P, Scope.OWN_DESK), *_OFFICE_SCREENS, _MONITOR),
        summary="today's aggregates of the desk (public inside the office; the ratings are not)",
    ),
    TopicSpec(
        TopicKind.QUEUE, "queue/{service}", Direction.TO_DEVICES,
        retained=True, qos=1, model=m.QueueState,
        writers=_SERVER, readers=(*_OFFICE_SCREENS, _MONITOR),
        summary="one service's queue: waiting, next numbers, estimate",
    ),
    TopicSpec(
        TopicKind.BOARD_CALL, "board/call", Direction.TO_DEVICES,
        retained=False, qos=1, model=m.BoardCall,
        writers=_SERVER, readers=(Grant(_B), _MONITOR),
        summary="a number called to a desk (an event, so not retained)",
    ),
    TopicSpec(
        TopicKind.DEVICE_STATUS, "device/{device_id}/status", Direction.TO_SERVER,
        retained=True, qos=1, model=m.DeviceStatus,
        writers=_EACH_OWN, readers=(Grant(_S), _MONITOR),
        summary="the device's availability; `offline` is also its Last Will",
    ),
    TopicSpec(
        TopicKind.DEVICE_HEALTH, "device/{device_id}/health", Direction.TO_SERVER,
        retained=True, qos=1, model=m.DeviceHealth,
        writers=_EACH_OWN, readers=(Grant(_S), _MONITOR),
        summary="the device's health: version, printer, outbox depth",
    ),
    TopicSpec(
        TopicKind.DEVICE_RECEIPT, "device/{device_id}/receipt", Direction.TO_DEVICES,
        retained=False, qos=1, model=m.Receipt,
        writers=_SERVER, readers=(*_EACH_OWN, _MONITOR),
        summary="the device's events the server has committed or refused for good",
    ),
    TopicSpec(
        TopicKind.SERVER_STATUS, "server/status", Direction.TO_DEVICES,
        retained=True, qos=1, model=m.ServerStatus,
        writers=_SERVER, readers=(Grant(_S), *(Grant(p) for p in _DEVICES)),
        summary="the server's availability; `offline` is also its Last Will",
    ),
    TopicSpec(
        TopicKind.SERVER_REJECTED, "server/rejected", Direction.TO_DEVICES,
        retained=False, qos=1, model=m.Rejected,
        writers=_SERVER, readers=(_MONITOR,),
        summary="a message the server refused, and why (for operators)",
    ),
    TopicSpec(
        TopicKind.SERVER_HEARTBEAT, "server/heartbeat", Direction.TO_DEVICES,
        retained=False, qos=1, model=m.ServerHeartbeat,
        writers=_SERVER, readers=(Grant(_S), *(Grant(p) for p in _DEVICES)),
        summary="every few seconds: the server's subscriptions still work (its own echo); "
        "its `sent_at` is the server's clock for the devices (read it with QoS 0)",
    ),
)
# fmt: on

#: Devices read `server/heartbeat` at QoS 0 (the server itself at the table's QoS 1): the
#: broker then queues nothing for an absent device, so every heartbeat a device gets is
#: fresh enough to measure its clock by.
DEVICE_HEARTBEAT_QOS: Literal[0] = 0

SPEC: dict[TopicKind, TopicSpec] = {s.kind: s for s in SPECS}


_ID_LEVEL = re.compile(r"\{\w+\}")


def _regex(spec: TopicSpec) -> re.Pattern[str]:
    return re.compile("^" + _ID_LEVEL.sub(f"({_ID})", spec.pattern) + "$")


def _around_id(spec: TopicSpec) -> tuple[str, str]:
    before, after = _ID_LEVEL.split(spec.pattern, maxsplit=1)
    return before, after


_COMPILED = tuple((spec, _regex(spec)) for spec in SPECS)
#: The pattern's text before and after its id level, for building topics fast.
_AROUND_ID = {spec.kind: _around_id(spec) for spec in SPECS if spec.id_name}


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

    def build(self, kind: TopicKind, ident: str | None = None) -> str:
        """The topic of ``kind`` (for ``ident``, if its pattern has an id; ``+`` gives
        a subscription filter for every id)."""
        spec = SPEC[kind]
        if (ident is None) != (spec.id_name is None):
            raise ValueError(f"{kind} topics {'take no' if ident else 'need an'} id")
        if ident is None:
            return f"{self.root}/{spec.pattern}"
        before, after = _AROUND_ID[kind]
        return f"{self.root}/{before}{ident}{after}"

    def ticket_request(self, kiosk_id: str) -> str:
        return self.build(TopicKind.TICKET_REQUEST, kiosk_id)

    def ticket_response(self, kiosk_id: str) -> str:
        return self.build(TopicKind.TICKET_RESPONSE, kiosk_id)

    def ticket_offline(self, kiosk_id: str) -> str:
        return self.build(TopicKind.TICKET_OFFLINE, kiosk_id)

    def kiosk_reserve(self, kiosk_id: str) -> str:
        return self.build(TopicKind.KIOSK_RESERVE, kiosk_id)

    def kiosk_rating(self, kiosk_id: str) -> str:
        return self.build(TopicKind.KIOSK_RATING, kiosk_id)

    def desk_rating(self, desk_id: str) -> str:
        return self.build(TopicKind.DESK_RATING, desk_id)

    def desk_state(self, desk_id: str) -> str:
        return self.build(TopicKind.DESK_STATE, desk_id)

    def desk_stats(self, desk_id: str) -> str:
        return self.build(TopicKind.DESK_STATS, desk_id)

    def queue(self, service: str) -> str:
        return self.build(TopicKind.QUEUE, service)

    def board_call(self) -> str:
        return self.build(TopicKind.BOARD_CALL)

    def device_status(self, device_id: str) -> str:
        return self.build(TopicKind.DEVICE_STATUS, device_id)

    def device_health(self, device_id: str) -> str:
        return self.build(TopicKind.DEVICE_HEALTH, device_id)

    def device_receipt(self, device_id: str) -> str:
        return self.build(TopicKind.DEVICE_RECEIPT, device_id)

    def server_status(self) -> str:
        return self.build(TopicKind.SERVER_STATUS)

    def server_rejected(self) -> str:
        return self.build(TopicKind.SERVER_REJECTED)

    def server_heartbeat(self) -> str:
        """The server's message to itself: proves its subscriptions still work."""
        return self.build(TopicKind.SERVER_HEARTBEAT)

    def server_inbound_filters(self) -> list[str]:
        """Everything the server consumes: one filter per device → server topic."""
        return [
            self.build(s.kind, "+" if s.id_name else None)
            for s in SPECS
            if s.direction is Direction.TO_SERVER
        ]

    def parse(self, topic: str) -> TopicMatch | None:
        """Classify a topic of this site; ``None`` for anything else."""
        head = self.root + "/"
        if not topic.startswith(head):
            return None
        rest = topic[len(head) :]
        for spec, pattern in _COMPILED:
            found = pattern.match(rest)
            if found:
                return TopicMatch(spec.kind, found.group(1) if spec.id_name else None)
        return None
