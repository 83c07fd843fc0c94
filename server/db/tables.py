"""The database schema.

Ticket events, desk events and ratings are append-only: the application inserts them
and never edits or deletes them. The ``tickets`` and ``desks`` rows hold the current
state, derived from those events, for fast queue queries.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from protocol.codes import DeskEventKind, EventKind, TicketState
from server.db.types import StrEnumType, UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(16))
    #: Local (site time zone) day the number belongs to.
    day: Mapped[date] = mapped_column(Date)
    #: Position in the day's numbering of the service; NULL for a transferred visit,
    #: which keeps the number it was issued with.
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(8))
    priority: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[TicketState] = mapped_column(StrEnumType(TicketState, 16))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    desk_id: Mapped[str | None] = mapped_column(String(32))
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    kiosk_id: Mapped[str | None] = mapped_column(String(32))
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    transferred_from: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    #: Mã hồ sơ typed or scanned by the clerk at "done" (from the appointment slip).
    dossier_code: Mapped[str | None] = mapped_column(String(40))
    #: On a hub: the office id of the latest event this snapshot reflects.
    origin_version: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("site", "service", "day", "seq", name="uq_ticket_seq"),
        Index("ix_tickets_waiting", "site", "state", "service", "issued_at"),
        Index("ix_tickets_number", "site", "day", "number"),
        Index("ix_tickets_desk_day", "site", "desk_id", "day"),
        Index("ix_tickets_dossier", "site", "dossier_code"),
        #: The latest services of a service (the ETA's rolling median), without sorting
        #: a year of history at every issue.
        Index("ix_tickets_recent_done", "site", "service", "state", "ended_at"),
    )


class TicketEventRow(Base):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tickets.id"), index=True)
    site: Mapped[str] = mapped_column(String(32))
    kind: Mapped[EventKind] = mapped_column(StrEnumType(EventKind, 16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    desk_id: Mapped[str | None] = mapped_column(String(32))
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: On a hub: the event's id in its office (the office's own rows leave it NULL).
    origin_id: Mapped[int | None] = mapped_column(BigInteger)
    #: Lets the unit of work insert a new ticket before its first event.
    ticket: Mapped[TicketRow] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("site", "origin_id", name="uq_ticket_events_origin"),)


class CounterRow(Base):
    """Last number issued per site, service and local day (gap-free numbering)."""

    __tablename__ = "counters"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    service: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class ReserveBlockRow(Base):
    """Numbers ``first``…``last`` of one service that one kiosk may issue on its own
    (while it cannot reach the server) on one local day. Allocated in request order;
    never changed afterwards."""

    __tablename__ = "reserve_blocks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    service: Mapped[str] = mapped_column(String(16))
    kiosk_id: Mapped[str] = mapped_column(String(32))
    first: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer)
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("site", "day", "service", "kiosk_id", name="uq_reserve_kiosk"),
        UniqueConstraint("site", "day", "service", "first", name="uq_reserve_first"),
    )


class DeskRow(Base):
    """Current state of a desk (who is logged in, paused, the ticket in hand)."""

    __tablename__ = "desks"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    desk_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    #: The last ticket finished here, while it may still be rated.
    rating_ticket_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeskEventRow(Base):
    __tablename__ = "desk_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(32))
    desk_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[DeskEventKind] = mapped_column(StrEnumType(DeskEventKind, 16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(200))
    #: On a hub: the event's id in its office.
    origin_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("site", "origin_id", name="uq_desk_events_origin"),)


class RatingRow(Base):
    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    msg_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tickets.id"), unique=True)
    site: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    desk_id: Mapped[str] = mapped_column(String(32))
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str] = mapped_column(String(16))
    #: As pressed on the pad (3-, 4- or 5-level scale) …
    level_raw: Mapped[str] = mapped_column(String(20))
    #: … and mapped to the official three levels.
    level: Mapped[str] = mapped_column(String(20))
    praised: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    #: `protocol.codes.RatingSource`: pad, kiosk or phone.
    source: Mapped[str] = mapped_column(String(8))
    #: The device that sent it; for a phone, ``phone`` (no citizen data is kept).
    device_id: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The citizen's optional words (the phone's form; at most 500 characters, NFC).
    comment: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_ratings_site_day_desk", "site", "day", "desk_id"),)


class LetterRow(Base):
    """A letter the clerk printed: "Phiếu xin lỗi và hẹn lại ngày trả kết quả" (apology)
    or "Thư cảm ơn" (thanks). Kept so it can be printed again and counted in reports."""

    __tablename__ = "letters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    #: Local (site time zone) day it was made.
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dossier_code: Mapped[str] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(16))
    desk_id: Mapped[str | None] = mapped_column(String(32))
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(500))
    #: Apology: the new date the result will be returned.
    new_date: Mapped[date | None] = mapped_column(Date)
    signer_title: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_letters_site_day", "site", "day"),)


class SuggestionRow(Base):
    """A note in the suggestion box (hòm thư góp ý, ``/gop-y``). Anonymous unless the
    citizen chose to give a contact. A supervisor marks it handled once, with a note."""

    __tablename__ = "suggestions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site: Mapped[str] = mapped_column(String(32))
    #: Local (site time zone) day it was received.
    day: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    text: Mapped[str] = mapped_column(String(2000))
    service: Mapped[str | None] = mapped_column(String(16))
    #: Only when the citizen typed one (a phone number or an e-mail address).
    contact: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(64))
    handled_note: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        Index("ix_suggestions_site_day", "site", "day"),
        Index("ix_suggestions_open", "site", "handled_at", "received_at"),
    )


class ReportDayRow(Base):
    """A settled day's report facts (`server.reports.rollup`), with the fingerprint of
    the rows they were computed from: rebuilt when those rows change."""

    __tablename__ = "report_days"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: `Facts.to_json()` as JSON text.
    facts: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProcessedMessageRow(Base):
    """Every inbound message applied, by ``msg_id``: QoS 1 redelivery has no effect."""

    __tablename__ = "processed_messages"

    msg_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    device_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The reply sent, for requests: a replayed request gets the same answer.
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RejectedMessageRow(Base):
    __tablename__ = "rejected_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    topic: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500))
    excerpt: Mapped[str] = mapped_column(Text)
    device_id: Mapped[str | None] = mapped_column(String(32))
    msg_id: Mapped[str | None] = mapped_column(String(64))


class DeviceRow(Base):
    __tablename__ = "devices"

    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(8), default="offline")
    boot_id: Mapped[str | None] = mapped_column(String(36))
    status_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime)
    health: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    health_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    #: For a clerk account: the clerk in the site configuration.
    clerk_id: Mapped[str | None] = mapped_column(String(32))
    #: False while the account is disabled (`disabled_at` says since when).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The last session issued (a log-in, or a board's token).
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: On a hub: the one office this account may see (None: every office).
    site: Mapped[str | None] = mapped_column(String(32))


class ApiTokenRow(Base):
    """Log-in sessions; only a SHA-256 of the token is stored."""

    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditRow(Base):
    """Who changed which account, when (append-only). ``actor`` is a username, or
    ``cli:<os user>`` for the command line; ``detail`` a short text, never a secret."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(500), default="")


class HubCursorRow(Base):
    """On an office: per stream of facts (`protocol.hub.STREAMS`), the highest id below
    which the hub has receipted every fact. The rows above it are forwarded again after
    a restart (the hub ignores what it already has)."""

    __tablename__ = "hub_cursors"

    stream: Mapped[str] = mapped_column(String(16), primary_key=True)
    acked_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OfficeRow(Base):
    """On a hub: one office (site) it hears from (``motcua hub add-office``), its group
    (a former district, a cluster) and the latest of its pulse and link."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    group_name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Mosquitto ``$7$`` hash of the office's hub broker password (``add-office``).
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: The office's configuration without secrets, from its latest pulse.
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The latest pulse (alerts, devices, backlog) and when it came (last contact).
    pulse: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pulse_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The office's bridge to the hub, as its notification says (None: not heard yet).
    link_up: Mapped[bool | None] = mapped_column(Boolean)
    link_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: When the hub last stored a fact of this office.
    fact_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
