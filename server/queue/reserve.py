"""The offline reserve: numbers a kiosk may issue on its own while it cannot reach the
server, and taking those numbers into the queue when they arrive.

`reserve_blocks` allocates each kiosk, per service and local day, a block of reserve
numbers (online numbering skips that zone, see `server.queue.numbering`);
`merge_offline` takes such a number into the queue when the kiosk's outbox delivers it,
at its issue time. Apart from `server.queue.tickets` because it is the only part of the
queue that two server processes may race on (unique keys, a PostgreSQL advisory lock).
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.clock import on_server_clock
from protocol.codes import EventKind, TicketState
from protocol.messages import (
    OfflineTicket,
    PriorityInfo,
    ReserveBlock,
    ReserveBlocks,
    ServiceInfo,
)
from protocol.numbers import format_number
from protocol.refusals import Reason
from server.db.tables import ReserveBlockRow, TicketRow
from server.queue.changes import Changes
from server.queue.context import QueueContext
from server.queue.errors import QueueError
from server.queue.states import WAITING, record_event
from server.timeutil import day_bounds_utc


def reserve_blocks(
    ctx: QueueContext, s: Session, kiosk_id: str, day: date | None = None, *, allocate: bool = True
) -> ReserveBlocks | None:
    """The retained ``kiosk/{id}/reserve`` message of a kiosk for a local day (today by
    default): one block per service, allocated now (in this transaction) if missing,
    plus the catalogue a kiosk needs to show its buttons with the server down.

    With ``allocate=False`` nothing is written: ``None`` when a block is missing (the
    publisher reads in a read transaction first and writes only when it must).

    Blocks of a (day, service) are handed out in request order: the n-th kiosk to ask
    gets ``reserve_first + n × block_size`` … ``+ block_size - 1``. Two server
    processes allocating at once meet on the table's unique keys and retry.
    """
    config = ctx.config
    if kiosk_id not in config.kiosk_ids:
        raise QueueError(Reason.UNKNOWN_DEVICE, kiosk=kiosk_id)
    day = day or ctx.today()
    have = {
        r.service: r
        for r in s.scalars(
            select(ReserveBlockRow).where(
                ReserveBlockRow.site == ctx.site,
                ReserveBlockRow.day == day,
                ReserveBlockRow.kiosk_id == kiosk_id,
            )
        )
    }
    if len(have) < len(config.services) and not allocate:
        return None
    if len(have) < len(config.services):
        _lock_day(ctx, s, day)
    blocks = []
    for svc in config.services:
        row = have.get(svc.code) or _allocate_block(ctx, s, kiosk_id, svc.code, day)
        if row is not None:
            blocks.append(
                ReserveBlock(service=svc.code, prefix=svc.prefix, first=row.first, last=row.last)
            )
    info = config.site
    return ReserveBlocks(
        kiosk_id=kiosk_id,
        day=day,
        blocks=blocks,
        office_name=info.name,
        office_name_en=info.name_en,
        public_url=info.public_url,
        services=[
            ServiceInfo(code=v.code, name=v.name, name_en=v.name_en, prefix=v.prefix)
            for v in config.services
        ],
        priorities=[
            PriorityInfo(code=p.code, name=p.name, name_en=p.name_en) for p in config.priorities
        ],
    )


def _lock_day(ctx: QueueContext, s: Session, day: date) -> None:
    """PostgreSQL: server processes allocating the same day queue here instead of
    colliding on the unique keys again and again (the retry in `_allocate_block` remains
    the safety net). SQLite writers are serialised by BEGIN IMMEDIATE already."""
    if s.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(f"motcua-reserve/{ctx.site}/{day.isoformat()}".encode())
    s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _allocate_block(
    ctx: QueueContext, s: Session, kiosk_id: str, service: str, day: date
) -> ReserveBlockRow | None:
    """A new block for the kiosk: the lowest free slot of the zone (= the number of
    blocks already allocated that day, as blocks are never removed). ``None`` if the
    zone is full (only after kiosks were added to the configuration during the day)."""
    size = ctx.config.offline.block_size
    zone_first, zone_last = ctx.config.reserve_zone
    slots = (zone_last - zone_first + 1) // size
    where = (
        ReserveBlockRow.site == ctx.site,
        ReserveBlockRow.day == day,
        ReserveBlockRow.service == service,
    )
    for _attempt in range(20):
        mine = s.scalar(select(ReserveBlockRow).where(*where, ReserveBlockRow.kiosk_id == kiosk_id))
        if mine is not None:  # another server process allocated it meanwhile
            return mine
        taken = set(s.scalars(select(ReserveBlockRow.first).where(*where)))
        free = [i for i in range(slots) if zone_first + i * size not in taken]
        if not free:
            return None
        first = zone_first + free[0] * size
        row = ReserveBlockRow(
            site=ctx.site,
            day=day,
            service=service,
            kiosk_id=kiosk_id,
            first=first,
            last=first + size - 1,
            allocated_at=ctx.clock(),
        )
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError:  # a concurrent server took this slot (or ours): again
            continue
        return row
    raise RuntimeError(f"could not allocate a reserve block for {kiosk_id}/{service}/{day}")


def merge_offline(
    ctx: QueueContext,
    s: Session,
    kiosk_id: str,
    ticket: OfflineTicket,
    received_at: datetime,
    changes: Changes,
) -> TicketRow:
    """Take a number a kiosk issued from its reserve while offline into the queue.

    The number must lie in the block allocated to *that* kiosk for the ticket's day and
    service (else ``not_in_reserve``); a ticket id or a (day, service, number) already
    stored is ``duplicate_ticket``. The ticket waits at its issue time — the kiosk's
    clock moved onto ours by the offset it reported (`protocol.clock`), but never
    later than its arrival here (a kiosk clock running ahead must not
    jump the queue) and inside its day — so the queue, ordered by issue time, merges
    offline and online tickets in the order citizens took them. A ticket of an earlier
    day (delivered after its day ended) is stored for the record, already cancelled
    like the tickets `close_previous_days` closes.
    """
    seq = _check_in_reserve(ctx, s, kiosk_id, ticket)
    _check_not_stored(ctx, s, ticket)
    start, end = day_bounds_utc(ticket.day, ctx.config.tz)
    issued_at = min(on_server_clock(ticket.issued_at, ticket.clock_offset_s), received_at)
    issued_at = max(start, min(issued_at, end - timedelta(microseconds=1)))
    now = ctx.clock()
    past = ticket.day < ctx.today(now)
    row = TicketRow(
        id=ticket.ticket_id,
        site=ctx.site,
        service=ticket.service,
        day=ticket.day,
        seq=seq,
        number=ticket.number,
        priority=ticket.priority,
        state=TicketState.CANCELLED if past else WAITING,
        issued_at=issued_at,
        ended_at=now if past else None,
        recall_count=0,
        kiosk_id=kiosk_id,
        offline=True,
    )
    try:
        with s.begin_nested():
            s.add(row)
            record_event(
                ctx,
                s,
                row,
                EventKind.ISSUED,
                issued_at,
                {
                    "kiosk_id": kiosk_id,
                    "offline": True,
                    "kiosk_issued_at": ticket.issued_at.isoformat(),
                    "received_at": received_at.isoformat(),
                },
            )
            if past:
                record_event(ctx, s, row, EventKind.CANCELLED, now, {"reason": "day_closed"})
            s.flush()
    except IntegrityError:  # the same number stored by a concurrent server process
        raise QueueError(
            Reason.DUPLICATE_TICKET, variant="concurrent", number=ticket.number, day=ticket.day
        ) from None
    changes.services.add(ticket.service)
    return row


def _check_in_reserve(ctx: QueueContext, s: Session, kiosk_id: str, ticket: OfflineTicket) -> int:
    """The counter of an offline ticket's number, or ``not_in_reserve`` unless it lies in
    the block allocated to that kiosk for the ticket's day and service."""
    svc = ctx.check_request(ticket.service, ticket.priority)
    seq = _reserve_seq(ticket.number, svc.prefix)
    block = s.scalar(
        select(ReserveBlockRow).where(
            ReserveBlockRow.site == ctx.site,
            ReserveBlockRow.day == ticket.day,
            ReserveBlockRow.service == ticket.service,
            ReserveBlockRow.kiosk_id == kiosk_id,
        )
    )
    if seq is None or block is None or not block.first <= seq <= block.last:
        have = f"{svc.prefix}{block.first}…{svc.prefix}{block.last}" if block else "no block"
        raise QueueError(
            Reason.NOT_IN_RESERVE,
            number=ticket.number,
            kiosk=kiosk_id,
            service=ticket.service,
            day=ticket.day,
            have=have,
        )
    return seq


def _check_not_stored(ctx: QueueContext, s: Session, ticket: OfflineTicket) -> None:
    """``duplicate_ticket`` if the ticket id or its (day, service, number) is stored."""
    duplicate = s.get(TicketRow, ticket.ticket_id) is not None or (
        s.scalar(
            select(TicketRow.id)
            .where(
                TicketRow.site == ctx.site,
                TicketRow.day == ticket.day,
                TicketRow.service == ticket.service,
                TicketRow.number == ticket.number,
            )
            .limit(1)
        )
        is not None
    )
    if duplicate:
        raise QueueError(
            Reason.DUPLICATE_TICKET,
            ticket_id=ticket.ticket_id,
            number=ticket.number,
            day=ticket.day,
        )


def _reserve_seq(number: str, prefix: str) -> int | None:
    """The counter of ``number`` if it is ``prefix`` + a number written the way the
    server writes it (``A505``, not ``A0505``), else ``None``."""
    digits = number[len(prefix) :]
    if not number.startswith(prefix) or not digits.isdigit():
        return None
    seq = int(digits)
    return seq if format_number(prefix, seq) == number else None
