"""The office ↔ hub contract (issue 16): what an office forwards to its hub, on which
topics, and the hub's receipts.

An office server forwards what it has *committed* (never what a device merely sent):
one `HubFact` per ticket event, desk event or rating, each carrying the current
snapshot of the ticket or desk it touches, so the hub can store it whatever order
facts arrive in. Facts travel on the office's own broker to ``{root}/hub/facts``; a
Mosquitto bridge (``connection hub``) carries that topic over the WAN to the hub
broker, queued while the WAN is down. The hub's workers share the stream (``$share``),
store each fact idempotently (keyed by the office's own ids: event id, rating
``msg_id``, ticket id) and answer with a `HubReceipt` on ``{root}/hub/receipt``, which
the bridge carries back. The office keeps a fact until that receipt, and sends it again
if none comes: a replay, a bridge queue that overflowed or a hub worker killed mid-batch
costs a duplicate at most, which the hub ignores.

`OfficePulse` (QoS 0, every few seconds while the WAN is up) says the office is alive:
its live figures, alerts, devices and configuration (without secrets). The bridge's own
notification (``{root}/hub/link``, ``1``/``0``, retained, ``0`` is the bridge's Last
Will) tells the hub when the office's link drops.

These topics are apart from `protocol.topics.SPECS` (the devices' contract): no device
account may read or write them; only the server (``{root}/#``) and the bridge do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocol import SCHEMA_VERSION
from protocol.text import Identifier, ServiceCode

#: A hub receipt lists at most this many ids per kind (a worker's batch is smaller).
RECEIPT_MAX_IDS = 5000
#: Facts are QoS 1 (queued by the bridge); a pulse is QoS 0 (only the latest matters,
#: so a WAN outage does not queue hours of stale pulses).
FACT_QOS: Literal[1] = 1
PULSE_QOS: Literal[0] = 0
RECEIPT_QOS: Literal[1] = 1

HubTopicKind = Literal["facts", "receipt", "pulse", "link"]
#: Levels under the site root, per kind.
HUB_LEVELS: dict[HubTopicKind, str] = {
    "facts": "hub/facts",
    "receipt": "hub/receipt",
    "pulse": "hub/pulse",
    "link": "hub/link",
}
#: Which way each topic flows: ``out`` office → hub, ``in`` hub → office (bridge terms).
HUB_DIRECTION: dict[HubTopicKind, Literal["out", "in"]] = {
    "facts": "out",
    "receipt": "in",
    "pulse": "out",
    "link": "out",
}


@dataclass(frozen=True)
class HubTopics:
    """The hub topics of one site (``{prefix}/{site}/hub/…``), or of every site
    (``site="+"``: the hub workers' filters)."""

    site: str
    prefix: str

    def topic(self, kind: HubTopicKind) -> str:
        return f"{self.prefix}/{self.site}/{HUB_LEVELS[kind]}"

    def shared(self, kind: HubTopicKind, group: str) -> str:
        """The shared-subscription filter hub workers of ``group`` use."""
        return f"$share/{group}/{self.topic(kind)}"

    def site_of(self, topic: str) -> str | None:
        """The site code in a hub topic, or None if ``topic`` is not one."""
        head = self.prefix + "/"
        if not topic.startswith(head):
            return None
        rest = topic[len(head) :].split("/")
        if len(rest) != 3 or rest[1] != "hub":
            return None
        return rest[0]

    def kind_of(self, topic: str) -> HubTopicKind | None:
        for kind, levels in HUB_LEVELS.items():
            if topic.endswith("/" + levels):
                return kind
        return None


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=500)


Short = Annotated[str, Field(max_length=40)]
Id32 = Annotated[str, Field(max_length=32)]


class TicketSnap(_Fact):
    """A ticket's row as the office has it now; ``version`` is the office id of its
    latest event: the hub keeps the snapshot with the highest version."""

    id: uuid.UUID
    service: ServiceCode
    day: date
    seq: int | None
    number: Annotated[str, Field(max_length=8)]
    priority: Id32 | None
    state: Annotated[str, Field(max_length=16)]
    issued_at: AwareDatetime
    first_called_at: AwareDatetime | None
    called_at: AwareDatetime | None
    started_at: AwareDatetime | None
    ended_at: AwareDatetime | None
    desk_id: Id32 | None
    clerk_id: Id32 | None
    recall_count: int
    kiosk_id: Id32 | None
    offline: bool
    transferred_from: uuid.UUID | None
    dossier_code: Short | None
    version: int


class TicketEventFact(_Fact):
    id: int  # the office's ticket_events.id
    ticket_id: uuid.UUID
    kind: Annotated[str, Field(max_length=16)]
    at: AwareDatetime
    desk_id: Id32 | None
    clerk_id: Id32 | None
    data: dict[str, Any] | None


class RatingFact(_Fact):
    id: int  # the office's ratings.id (the forwarding order)
    msg_id: uuid.UUID
    ticket_id: uuid.UUID
    day: date
    desk_id: Id32
    clerk_id: Id32 | None
    service: ServiceCode
    level_raw: Annotated[str, Field(max_length=20)]
    level: Annotated[str, Field(max_length=20)]
    praised: Annotated[list[Identifier], Field(max_length=13)]
    reasons: Annotated[list[Identifier], Field(max_length=13)]
    partial: bool
    source: Annotated[str, Field(max_length=8)]
    device_id: Id32
    sent_at: AwareDatetime
    received_at: AwareDatetime
    comment: str | None


class DeskSnap(_Fact):
    desk_id: Identifier
    open: bool
    paused: bool
    pause_reason: Annotated[str, Field(max_length=200)] | None
    clerk_id: Id32 | None
    ticket_id: uuid.UUID | None
    rating_ticket_id: uuid.UUID | None
    updated_at: AwareDatetime


class DeskEventFact(_Fact):
    id: int  # the office's desk_events.id
    desk_id: Identifier
    kind: Annotated[str, Field(max_length=16)]
    at: AwareDatetime
    clerk_id: Id32 | None
    reason: Annotated[str, Field(max_length=200)] | None


class DeviceSnap(_Fact):
    device_id: Identifier
    status: Annotated[str, Field(max_length=8)]
    boot_id: Annotated[str, Field(max_length=36)] | None
    status_since: AwareDatetime | None
    last_seen: AwareDatetime | None
    health: dict[str, Any] | None
    health_at: AwareDatetime | None


StreamName = Literal["ticket_events", "desk_events", "ratings"]
STREAMS: tuple[StreamName, ...] = ("ticket_events", "desk_events", "ratings")


class HubFact(_Fact):
    """One committed fact of an office (``{root}/hub/facts``): exactly one of
    ``event``, ``rating`` and ``desk_event``, with the snapshot it needs."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    site: Identifier
    stream: StreamName
    #: The fact's id in its stream (the office's row id): what the receipt names.
    id: int
    ticket: TicketSnap | None = None
    event: TicketEventFact | None = None
    rating: RatingFact | None = None
    desk: DeskSnap | None = None
    desk_event: DeskEventFact | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


IdList = Annotated[list[int], Field(max_length=RECEIPT_MAX_IDS)]


class HubReceipt(_Fact):
    """The hub has stored these facts of ``site`` (ids per stream): the office may
    forget them (``{root}/hub/receipt``)."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    site: Identifier
    ticket_events: IdList = Field(default_factory=list)
    desk_events: IdList = Field(default_factory=list)
    ratings: IdList = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def ids(self, stream: StreamName) -> list[int]:
        ids: list[int] = getattr(self, stream)
        return ids

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


class PulseAlert(_Fact):
    #: The alert's stable key (``device_offline:kiosk-1``) and its severity.
    code: Annotated[str, Field(max_length=80)]
    severity: Annotated[str, Field(max_length=16)]
    vi: Annotated[str, Field(max_length=300)]
    en: Annotated[str, Field(max_length=300)]


class OfficePulse(_Fact):
    """The office is alive (``{root}/hub/pulse``): what it sees now."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    site: Identifier
    sent_at: AwareDatetime
    boot_id: uuid.UUID
    version: Annotated[str, Field(max_length=40)]
    #: Facts committed but not yet receipted by the hub, per stream.
    backlog: dict[StreamName, int] = Field(default_factory=dict)
    alerts: Annotated[list[PulseAlert], Field(max_length=100)] = Field(default_factory=list)
    devices: Annotated[list[DeviceSnap], Field(max_length=200)] = Field(default_factory=list)
    #: Every desk as it is now (also those no event touched yet, and what changed
    #: without an event: a rating window that ran out).
    desks: Annotated[list[DeskSnap], Field(max_length=200)] = Field(default_factory=list)
    #: The site configuration without secrets (names of services, desks, clerks, the
    #: targets): the hub shows the office's figures with the office's own words.
    config: dict[str, Any]

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, str_max_length=2000
    )

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()
