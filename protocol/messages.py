"""Pydantic models of every MQTT message in DESIGN.md's contract.

Two families:

* **Events and requests** sent by devices (``Event`` subclasses). The server validates
  them strictly: unknown fields are refused, strings are NFC-normalised and bounded,
  every one carries ``schema``, ``msg_id`` (created once, reused on every retry),
  ``device_id`` and ``sent_at`` with a UTC offset.
* **State and replies** published by the server (``ServerMessage`` subclasses). Devices
  read them tolerantly (unknown fields ignored) so a newer server does not break an
  older kiosk in the field.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from protocol import SCHEMA_VERSION
from protocol.clock import ClockOffset
from protocol.conduct import PRAISE_CODES, REASON_CODES, RawLevel
from protocol.numbers import Prefix, TicketNumber
from protocol.text import (
    Identifier,
    LongText,
    NonNegative,
    ReasonText,
    ServiceCode,
    ShortText,
    Text40,
    Text300,
)

#: Years a device's timestamps and days must fall in: far enough from datetime's limits
#: that converting them to UTC or to local time cannot overflow (issue 11: a sent_at of
#: 9999-12-31T23:59:59-14:00 raised OverflowError in the server and lost a whole batch).
YEARS = (2000, 2100)

_D = TypeVar("_D", bound=date)


def check_year(value: _D) -> _D:
    """``value`` if its year is within `YEARS`, else `ValueError`."""
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"the year must be between {YEARS[0]} and {YEARS[1]}")
    return value


#: A device's timestamp: with a UTC offset, within `YEARS`.
Timestamp = Annotated[AwareDatetime, AfterValidator(check_year)]
#: A device's local day, within `YEARS`.
Day = Annotated[date, AfterValidator(check_year)]


class PrinterState(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        str_max_length=2000,
        ser_json_timedelta="float",
    )

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()


class _Tolerant(_Strict):
    model_config = ConfigDict(extra="ignore")


# --------------------------------------------------------------------------- events


class Event(_Strict):
    """Common envelope of every device → server message."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    msg_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    device_id: Identifier
    sent_at: Timestamp
    #: Server − device clock (s) when sent, if known: judged by sent_at + it (protocol.clock).
    clock_offset_s: ClockOffset | None = None


class TicketRequest(Event):
    """A kiosk asks for a number (``kiosk/{id}/ticket/request``)."""

    service: ServiceCode
    priority: Identifier | None = None


ConductList = Annotated[list[Identifier], Field(max_length=13)]


class _RatingBody(Event):
    level: RawLevel
    praised: ConductList = Field(default_factory=list)
    reasons: ConductList = Field(default_factory=list)
    #: True when the citizen walked away and the pad sent the level alone.
    partial: bool = False

    @field_validator("praised", "reasons")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("items must not repeat")
        return v

    @model_validator(mode="after")
    def _conduct_fits_level(self) -> Self:
        unknown = set(self.praised) - PRAISE_CODES
        if unknown:
            raise ValueError(f"praised items must be 4 Xin / 4 Luôn items: {sorted(unknown)}")
        unknown = set(self.reasons) - REASON_CODES
        if unknown:
            raise ValueError(f"unknown reason items: {sorted(unknown)}")
        positive = self.level.official.positive
        if self.praised and not positive:
            raise ValueError("praise is only given with a positive level")
        if self.reasons and positive:
            raise ValueError("reasons are only given with a negative level")
        return self


class DeskRating(_RatingBody):
    """A pad sends the citizen's rating of the visit just finished (``desk/{id}/rating``)."""

    ticket_id: uuid.UUID


class VisitRating(_RatingBody):
    """ "Rate a visit" at a kiosk (``kiosk/{id}/rating``): by ticket id (QR) or number."""

    ticket_id: uuid.UUID | None = None
    number: TicketNumber | None = None
    #: Local day the ticket was issued; defaults to the day the rating was sent.
    day: Day | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> Self:
        if (self.ticket_id is None) == (self.number is None):
            raise ValueError("give exactly one of ticket_id or number")
        return self


class OfflineTicket(Event):
    """A number a kiosk issued from its reserve block while the server was unreachable."""

    ticket_id: uuid.UUID
    number: TicketNumber
    service: ServiceCode
    priority: Identifier | None = None
    issued_at: Timestamp
    day: Day


class DeviceHealth(Event):
    """Retained health report of a device (``device/{id}/health``)."""

    app_version: Text40
    boot_id: uuid.UUID
    printer: PrinterState | None = None
    outbox_depth: NonNegative = 0
    detail: ReasonText | None = None


class DeviceStatus(_Strict):
    """Retained availability; ``offline`` is also the device's MQTT Last Will."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    device_id: Identifier
    state: Literal["online", "offline"]
    #: Changes at every process start, so a stale Last Will from an old session is ignored.
    boot_id: uuid.UUID
    since: Timestamp


# --------------------------------------------------------------------------- server


class ServerMessage(_Tolerant):
    schema_version: int = Field(default=SCHEMA_VERSION, alias="schema")


class Refusal(_Tolerant):
    code: Identifier
    message: ShortText
    message_en: ShortText = ""


class IssuedTicket(_Tolerant):
    ticket_id: uuid.UUID
    number: TicketNumber
    service: ServiceCode
    service_name: ShortText
    priority: Identifier | None = None
    people_ahead: NonNegative
    eta_minutes: NonNegative
    issued_at: AwareDatetime
    day: date


class TicketResponse(ServerMessage):
    """Reply to a ``TicketRequest``, correlated by ``request_id`` (works on MQTT 3.1.1)."""

    request_id: uuid.UUID
    ok: bool
    ticket: IssuedTicket | None = None
    refusal: Refusal | None = None


class ReserveBlock(_Tolerant):
    """Numbers ``prefix + first`` … ``prefix + last`` of one service, for one kiosk, today."""

    service: ServiceCode
    prefix: Prefix
    first: NonNegative
    last: NonNegative


class ServiceInfo(_Tolerant):
    code: ServiceCode
    name: ShortText
    name_en: ShortText = ""
    prefix: Prefix


class PriorityInfo(_Tolerant):
    code: Identifier
    name: ShortText
    name_en: ShortText = ""


class ReserveBlocks(ServerMessage):
    """Retained ``kiosk/{id}/reserve``: what a kiosk needs to serve citizens on its own:
    today's reserve number blocks for when it cannot reach the server, and the catalogue
    (office, services, priorities) so it shows its buttons even if started while the
    server is down. The kiosk keeps the last copy on disk."""

    kiosk_id: Identifier
    day: date
    blocks: list[ReserveBlock]
    office_name: ShortText = ""
    office_name_en: ShortText = ""
    #: Base of the QR link printed on tickets ("follow the queue, rate the visit").
    public_url: Text300 = ""
    services: list[ServiceInfo] = Field(default_factory=list)
    priorities: list[PriorityInfo] = Field(default_factory=list)


class ClerkInfo(_Tolerant):
    """The clerk on duty at a desk (tolerant: ignores the old, unused ``photo_url``)."""

    id: Identifier
    name: ShortText


class TicketInHand(_Tolerant):
    ticket_id: uuid.UUID
    number: TicketNumber
    service: ServiceCode
    priority: Identifier | None = None
    state: Literal["called", "serving"]
    called_at: AwareDatetime
    started_at: AwareDatetime | None = None
    recall_count: NonNegative = 0


class AwaitingRating(_Tolerant):
    ticket_id: uuid.UUID
    number: TicketNumber
    service: ServiceCode
    clerk_id: Identifier | None = None
    done_at: AwareDatetime
    expires_at: AwareDatetime


class DeskState(ServerMessage):
    """Retained ``desk/{id}/state``: what the pad and the board show."""

    desk_id: Identifier
    name: ShortText
    services: list[ServiceCode]
    open: bool
    paused: bool = False
    pause_reason: ReasonText | None = None
    clerk: ClerkInfo | None = None
    serving: TicketInHand | None = None
    awaiting_rating: AwaitingRating | None = None
    updated_at: AwareDatetime


class DeskStats(ServerMessage):
    """Retained ``desk/{id}/stats``: today's aggregates for one desk."""

    desk_id: Identifier
    day: date
    served: NonNegative
    no_show: NonNegative
    transferred: NonNegative
    ratings: NonNegative
    satisfied: NonNegative
    satisfaction_pct: float | None
    response_rate_pct: float | None
    target_pct: float | None
    levels: dict[str, int]
    praised: dict[str, int]
    reasons: dict[str, int]
    wait_mean_s: float | None
    wait_p90_s: float | None
    service_mean_s: float | None
    service_p90_s: float | None
    updated_at: AwareDatetime


class QueueState(ServerMessage):
    """Retained ``queue/{service}``: what the kiosk buttons and the board show."""

    service: ServiceCode
    name: ShortText
    waiting: NonNegative
    waiting_priority: NonNegative
    next_numbers: list[TicketNumber]
    eta_minutes: NonNegative
    open_desks: NonNegative
    longest_wait_s: float | None = None
    updated_at: AwareDatetime


class BoardCall(ServerMessage):
    """``board/call``: a number called to a desk (not retained: an event)."""

    ticket_id: uuid.UUID
    number: TicketNumber
    desk_id: Identifier
    desk_name: ShortText
    service: ServiceCode
    called_at: AwareDatetime
    recall_count: NonNegative = 0


class ServerStatus(ServerMessage):
    state: Literal["online", "offline"]
    boot_id: uuid.UUID
    version: Text40
    since: AwareDatetime
    #: Which process this is, so a second server started by mistake can name the first.
    host: Text40 = ""
    pid: NonNegative | None = None


class ServerHeartbeat(ServerMessage):
    """``server/heartbeat``, every few seconds: its echo proves the broker still delivers
    to the server's subscriptions; devices read ``sent_at`` as the server's clock."""

    boot_id: uuid.UUID
    sent_at: AwareDatetime


class Receipt(ServerMessage):
    """``device/{id}/receipt``: events of this device the server has committed (or
    refused for good). The device's outbox deletes them only now: a broker's PUBACK
    alone is not enough when the broker can die with the server (the embedded one)."""

    device_id: Identifier
    msg_ids: Annotated[list[uuid.UUID], Field(max_length=300)]


class Rejected(ServerMessage):
    """``server/rejected``: a message the server refused, and why."""

    topic: Text300
    reason: Identifier
    detail: LongText
    excerpt: Text300
    device_id: Identifier | None = None
    msg_id: uuid.UUID | None = None
    at: AwareDatetime
