"""The ticket lifecycle: issue, call, recall, start, done, no-show, transfer, pause.

``issued → called (recalls counted) → serving → done | no_show | transferred | cancelled``

Every transition appends a `TicketEventRow`; the `TicketRow` holds the current state.
Methods work inside a caller's write transaction and record what changed in a
`Changes`, which the caller publishes after the commit.

Offline kiosks (issue 4): `reserve_blocks` allocates each kiosk, per service and local
day, a block of reserve numbers it may issue on its own while it cannot reach the server
(online numbering skips that zone, see `server.queue.numbering`); `merge_offline` takes
such a number into the queue when the kiosk's outbox delivers it, at its issue time.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.messages import (
    AwaitingRating,
    ClerkInfo,
    DeskState,
    IssuedTicket,
    OfflineTicket,
    PriorityInfo,
    QueueState,
    ReserveBlock,
    ReserveBlocks,
    ServiceInfo,
    TicketInHand,
)
from protocol.text import TextRefused, check_dossier_code
from server.config import CallingPolicy, SiteConfig
from server.db.tables import DeskEventRow, DeskRow, ReserveBlockRow, TicketEventRow, TicketRow
from server.queue import eta, policy
from server.queue.numbering import format_number, next_seq
from server.timeutil import day_bounds_utc, local_day, now_utc

WAITING = "issued"
IN_HAND = ("called", "serving")
FINAL = ("done", "no_show", "transferred", "cancelled")


class QueueError(Exception):
    """A refused queue action; ``code`` is stable, ``message`` is Vietnamese."""

    def __init__(self, code: str, message: str, message_en: str = "", status: int = 409) -> None:
        super().__init__(f"{code}: {message_en or message}")
        self.code = code
        self.message = message
        self.message_en = message_en
        self.status = status


def _dossier_code(value: str) -> str:
    """A valid dossier code, or a `QueueError` saying why (nothing is stored)."""
    try:
        return check_dossier_code(value)
    except TextRefused as e:
        raise QueueError("bad_dossier_code", e.message, e.message_en, 422) from None


@dataclass
class Changes:
    """What a transaction changed, to publish once it is committed."""

    services: set[str] = field(default_factory=set)
    desks: set[str] = field(default_factory=set)
    stats: set[str] = field(default_factory=set)
    calls: list[uuid.UUID] = field(default_factory=list)
    #: Kiosks whose retained ``kiosk/{id}/reserve`` must be (allocated and) published.
    reserves: set[str] = field(default_factory=set)
    #: Devices whose status or health changed (for the live dashboard only).
    devices: set[str] = field(default_factory=set)
    #: Tickets just rated (for the dashboard's live stream of ratings only).
    ratings: list[uuid.UUID] = field(default_factory=list)

    def merge(self, other: Changes) -> None:
        self.services |= other.services
        self.desks |= other.desks
        self.stats |= other.stats
        self.calls.extend(other.calls)
        self.reserves |= other.reserves
        self.devices |= other.devices
        self.ratings.extend(other.ratings)

    def __bool__(self) -> bool:
        return bool(
            self.services
            or self.desks
            or self.stats
            or self.calls
            or self.reserves
            or self.devices
            or self.ratings
        )


@dataclass
class QueueSnapshot:
    """One service's waiting counts, open desks and median service time."""

    day: date
    normal: int
    priority: int
    desks: int
    median_minutes: float
    #: Normal calls since the last priority call (matters for the every_n policy).
    since: int = 0

    def estimate(self, is_priority: bool, calling: CallingPolicy) -> tuple[int, int]:
        ahead = policy.people_ahead(
            self.normal, self.priority, is_priority, calling.policy, calling.every_n, self.since
        )
        return ahead, eta.eta_minutes(ahead, self.desks, self.median_minutes)

    def add(self, is_priority: bool) -> None:
        if is_priority:
            self.priority += 1
        else:
            self.normal += 1


def _utc(value: datetime) -> datetime:
    """Core queries bypass the ORM's UTC column type on SQLite: make values aware."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# Statements of the hot paths, built once.
_TICKETS = TicketRow.__table__
_EVENTS = TicketEventRow.__table__
_T = _TICKETS.c
_WAITING_COUNTS = (
    select(_T.priority.is_not(None), func.count())
    .where(
        _T.site == bindparam("site"),
        _T.state == WAITING,
        _T.service.in_(bindparam("services", expanding=True)),
        _T.day == bindparam("day"),
    )
    .group_by(_T.priority.is_not(None))
)
_D = DeskRow.__table__.c
_OPEN_DESKS = select(func.count()).where(
    _D.site == bindparam("site"),
    _D.desk_id.in_(bindparam("ids", expanding=True)),
    _D.open.is_(True),
    _D.paused.is_(False),
)
_RECENT_SERVICES = (
    select(_T.started_at, _T.ended_at)
    .where(_T.site == bindparam("site"), _T.service == bindparam("service"), _T.state == "done")
    .order_by(_T.ended_at.desc())
    .limit(bindparam("n"))
)


@dataclass(frozen=True)
class _Head:
    row: TicketRow

    @property
    def is_priority(self) -> bool:
        return self.row.priority is not None


class QueueEngine:
    def __init__(self, config: SiteConfig, clock: Callable[[], datetime] = now_utc) -> None:
        self.config = config
        self.site = config.site.code
        self.clock = clock
        first, last = config.reserve_zone
        #: Online numbering skips the reserve zone (None: no kiosks, no zone).
        self._zone: tuple[int, int] | None = (first, last) if last >= first else None

    # ------------------------------------------------------------------ helpers

    def today(self, at: datetime | None = None) -> date:
        return local_day(at or self.clock(), self.config.tz)

    def _service(self, code: str) -> Any:
        svc = self.config.service_by_code.get(code)
        if svc is None:
            raise QueueError(
                "unknown_service", f"Không có lĩnh vực “{code}”", f"unknown service {code!r}", 404
            )
        return svc

    def _desk_cfg(self, desk_id: str) -> Any:
        desk = self.config.desk_by_id.get(desk_id)
        if desk is None:
            raise QueueError(
                "unknown_desk", f"Không có quầy “{desk_id}”", f"unknown desk {desk_id!r}", 404
            )
        return desk

    def _event(
        self, s: Session, t: TicketRow, kind: str, at: datetime, data: dict[str, Any] | None = None
    ) -> None:
        s.add(
            TicketEventRow(
                ticket=t,
                site=self.site,
                kind=kind,
                at=at,
                desk_id=t.desk_id,
                clerk_id=t.clerk_id,
                data=data,
            )
        )

    def _desk_event(
        self, s: Session, desk: DeskRow, kind: str, at: datetime, reason: str | None = None
    ) -> None:
        s.add(
            DeskEventRow(
                site=self.site,
                desk_id=desk.desk_id,
                kind=kind,
                at=at,
                clerk_id=desk.clerk_id,
                reason=reason,
            )
        )

    def ensure_desks(self, s: Session) -> None:
        """Create a (closed) state row for every configured desk that has none."""
        have = set(s.scalars(select(DeskRow.desk_id).where(DeskRow.site == self.site)))
        for desk in self.config.desks:
            if desk.id not in have:
                s.add(
                    DeskRow(
                        site=self.site,
                        desk_id=desk.id,
                        open=False,
                        paused=False,
                        updated_at=self.clock(),
                    )
                )
        s.flush()

    def _desk(self, s: Session, desk_id: str) -> DeskRow:
        self._desk_cfg(desk_id)
        row = s.scalar(
            select(DeskRow)
            .where(DeskRow.site == self.site, DeskRow.desk_id == desk_id)
            .with_for_update()
        )
        if row is None:
            self.ensure_desks(s)
            row = s.scalar(
                select(DeskRow).where(DeskRow.site == self.site, DeskRow.desk_id == desk_id)
            )
            assert row is not None
        return row

    def _working_desk(self, s: Session, desk_id: str) -> DeskRow:
        desk = self._desk(s, desk_id)
        if not desk.open:
            raise QueueError(
                "desk_closed", "Quầy chưa mở: cán bộ chưa đăng nhập", "the desk is closed"
            )
        return desk

    def _in_hand(self, s: Session, desk: DeskRow) -> TicketRow:
        if desk.ticket_id is None:
            raise QueueError("no_ticket", "Quầy không có số nào đang phục vụ", "no ticket in hand")
        t = s.get(TicketRow, desk.ticket_id, with_for_update=True)
        assert t is not None
        return t

    # ------------------------------------------------------------------ issuing

    def check_request(self, service: str, priority: str | None) -> Any:
        """The service of a ticket request, or a `QueueError` (before anything is written)."""
        svc = self._service(service)
        if priority is not None and priority not in self.config.priority_codes:
            raise QueueError(
                "unknown_priority",
                f"Không có đối tượng ưu tiên “{priority}”",
                f"unknown priority {priority!r}",
                404,
            )
        return svc

    def issue(
        self,
        s: Session,
        service: str,
        priority: str | None = None,
        *,
        kiosk_id: str | None = None,
        changes: Changes | None = None,
        snapshots: dict[str, QueueSnapshot] | None = None,
    ) -> IssuedTicket:
        """A new number for ``service``: gap-free per local day, with people ahead and ETA.

        ``snapshots`` lets a caller issuing many numbers in one transaction (a gateway
        batch) read each service's queue once and keep it up to date in memory.
        """
        svc = self.check_request(service, priority)
        at = self.clock()
        day = self.today(at)
        snap = snapshots.get(service) if snapshots is not None else None
        if snap is None or snap.day != day:
            snap = self.snapshot(s, service, day)
            if snapshots is not None:
                snapshots[service] = snap
        ahead, eta_min = snap.estimate(priority is not None, self.config.calling)
        seq = next_seq(s, self.site, service, day, self._zone)
        ticket_id = uuid.uuid4()
        number = format_number(svc.prefix, seq)
        # Core inserts: this is the hot path of every kiosk press.
        s.execute(
            _TICKETS.insert(),
            {
                "id": ticket_id,
                "site": self.site,
                "service": service,
                "day": day,
                "seq": seq,
                "number": number,
                "priority": priority,
                "state": WAITING,
                "issued_at": at,
                "recall_count": 0,
                "kiosk_id": kiosk_id,
                "offline": False,
            },
        )
        s.execute(
            _EVENTS.insert(),
            {
                "ticket_id": ticket_id,
                "site": self.site,
                "kind": "issued",
                "at": at,
                "data": {"kiosk_id": kiosk_id} if kiosk_id else None,
            },
        )
        snap.add(priority is not None)
        if changes is not None:
            changes.services.add(service)
        return IssuedTicket(
            ticket_id=ticket_id,
            number=number,
            service=service,
            service_name=svc.name,
            priority=priority,
            people_ahead=ahead,
            eta_minutes=eta_min,
            issued_at=at,
            day=day,
        )

    # ------------------------------------------------------------------ offline reserve

    def reserve_blocks(
        self, s: Session, kiosk_id: str, day: date | None = None, *, allocate: bool = True
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
        if kiosk_id not in self.config.kiosk_ids:
            raise QueueError(
                "unknown_device", f"Không có ki-ốt “{kiosk_id}”", f"unknown kiosk {kiosk_id!r}", 404
            )
        day = day or self.today()
        have = {
            r.service: r
            for r in s.scalars(
                select(ReserveBlockRow).where(
                    ReserveBlockRow.site == self.site,
                    ReserveBlockRow.day == day,
                    ReserveBlockRow.kiosk_id == kiosk_id,
                )
            )
        }
        if len(have) < len(self.config.services) and not allocate:
            return None
        if len(have) < len(self.config.services) and s.get_bind().dialect.name == "postgresql":
            # Server processes allocating the same day queue here instead of colliding on
            # the unique keys again and again (the retry below remains the safety net).
            # SQLite writers are serialised by BEGIN IMMEDIATE already.
            key = zlib.crc32(f"motcua-reserve/{self.site}/{day.isoformat()}".encode())
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        blocks = []
        for svc in self.config.services:
            row = have.get(svc.code) or self._allocate_block(s, kiosk_id, svc.code, day)
            if row is not None:
                blocks.append(
                    ReserveBlock(
                        service=svc.code, prefix=svc.prefix, first=row.first, last=row.last
                    )
                )
        info = self.config.site
        return ReserveBlocks(
            kiosk_id=kiosk_id,
            day=day,
            blocks=blocks,
            office_name=info.name,
            office_name_en=info.name_en,
            public_url=info.public_url,
            services=[
                ServiceInfo(code=v.code, name=v.name, name_en=v.name_en, prefix=v.prefix)
                for v in self.config.services
            ],
            priorities=[
                PriorityInfo(code=p.code, name=p.name, name_en=p.name_en)
                for p in self.config.priorities
            ],
        )

    def _allocate_block(
        self, s: Session, kiosk_id: str, service: str, day: date
    ) -> ReserveBlockRow | None:
        """A new block for the kiosk: the lowest free slot of the zone (= the number of
        blocks already allocated that day, as blocks are never removed). ``None`` if the
        zone is full (only after kiosks were added to the configuration during the day)."""
        size = self.config.offline.block_size
        zone_first, zone_last = self.config.reserve_zone
        slots = (zone_last - zone_first + 1) // size
        where = (
            ReserveBlockRow.site == self.site,
            ReserveBlockRow.day == day,
            ReserveBlockRow.service == service,
        )
        for _attempt in range(20):
            mine = s.scalar(
                select(ReserveBlockRow).where(*where, ReserveBlockRow.kiosk_id == kiosk_id)
            )
            if mine is not None:  # another server process allocated it meanwhile
                return mine
            taken = set(s.scalars(select(ReserveBlockRow.first).where(*where)))
            free = [i for i in range(slots) if zone_first + i * size not in taken]
            if not free:
                return None
            first = zone_first + free[0] * size
            row = ReserveBlockRow(
                site=self.site,
                day=day,
                service=service,
                kiosk_id=kiosk_id,
                first=first,
                last=first + size - 1,
                allocated_at=self.clock(),
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
        self,
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
        clock, but never later than its arrival here (a kiosk clock running ahead must not
        jump the queue) and inside its day — so the queue, ordered by issue time, merges
        offline and online tickets in the order citizens took them. A ticket of an earlier
        day (delivered after its day ended) is stored for the record, already cancelled
        like the tickets `close_previous_days` closes.
        """
        svc = self.check_request(ticket.service, ticket.priority)
        seq = self._reserve_seq(ticket.number, svc.prefix)
        block = s.scalar(
            select(ReserveBlockRow).where(
                ReserveBlockRow.site == self.site,
                ReserveBlockRow.day == ticket.day,
                ReserveBlockRow.service == ticket.service,
                ReserveBlockRow.kiosk_id == kiosk_id,
            )
        )
        if seq is None or block is None or not block.first <= seq <= block.last:
            have = f"{svc.prefix}{block.first}…{svc.prefix}{block.last}" if block else "no block"
            raise QueueError(
                "not_in_reserve",
                f"Số {ticket.number} không thuộc khối số dự phòng của ki-ốt này",
                f"{ticket.number} is not in the reserve block of {kiosk_id} for "
                f"{ticket.service} on {ticket.day} ({have})",
            )
        duplicate = s.get(TicketRow, ticket.ticket_id) is not None or (
            s.scalar(
                select(TicketRow.id)
                .where(
                    TicketRow.site == self.site,
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
                "duplicate_ticket",
                f"Số {ticket.number} đã được ghi nhận",
                f"ticket {ticket.ticket_id} / {ticket.number} of {ticket.day} is already stored",
            )
        start, end = day_bounds_utc(ticket.day, self.config.tz)
        issued_at = min(ticket.issued_at, received_at)
        issued_at = max(start, min(issued_at, end - timedelta(microseconds=1)))
        now = self.clock()
        past = ticket.day < self.today(now)
        row = TicketRow(
            id=ticket.ticket_id,
            site=self.site,
            service=ticket.service,
            day=ticket.day,
            seq=seq,
            number=ticket.number,
            priority=ticket.priority,
            state="cancelled" if past else WAITING,
            issued_at=issued_at,
            ended_at=now if past else None,
            recall_count=0,
            kiosk_id=kiosk_id,
            offline=True,
        )
        try:
            with s.begin_nested():
                s.add(row)
                self._event(
                    s,
                    row,
                    "issued",
                    issued_at,
                    {
                        "kiosk_id": kiosk_id,
                        "offline": True,
                        "kiosk_issued_at": ticket.issued_at.isoformat(),
                        "received_at": received_at.isoformat(),
                    },
                )
                if past:
                    self._event(s, row, "cancelled", now, {"reason": "day_closed"})
                s.flush()
        except IntegrityError:  # the same number stored by a concurrent server process
            raise QueueError(
                "duplicate_ticket",
                f"Số {ticket.number} đã được ghi nhận",
                f"{ticket.number} of {ticket.day} was stored concurrently",
            ) from None
        changes.services.add(ticket.service)
        return row

    def _reserve_seq(self, number: str, prefix: str) -> int | None:
        """The counter of ``number`` if it is ``prefix`` + a number written the way the
        server writes it (``A505``, not ``A0505``), else ``None``."""
        digits = number[len(prefix) :]
        if not number.startswith(prefix) or not digits.isdigit():
            return None
        seq = int(digits)
        return seq if format_number(prefix, seq) == number else None

    # ------------------------------------------------------------------ estimates

    def _waiting_counts(self, s: Session, services: list[str], day: date) -> tuple[int, int]:
        rows = s.execute(
            _WAITING_COUNTS, {"site": self.site, "services": services, "day": day}
        ).all()
        counts = {bool(k): int(v) for k, v in rows}
        return counts.get(False, 0), counts.get(True, 0)

    def open_desks(self, s: Session, service: str) -> int:
        ids = [d.id for d in self.config.desks_serving(service)]
        return int(s.execute(_OPEN_DESKS, {"site": self.site, "ids": ids}).scalar() or 0)

    def median_service_minutes(self, s: Session, service: str) -> float:
        rows = s.execute(
            _RECENT_SERVICES,
            {"site": self.site, "service": service, "n": self.config.calling.median_window},
        ).all()
        durations = [
            (_utc(end) - _utc(start)).total_seconds() for start, end in rows if start and end
        ]
        return eta.median_minutes(durations, self._service(service).default_service_minutes)

    def snapshot(self, s: Session, service: str, day: date) -> QueueSnapshot:
        """What an estimate needs to know about one service's queue right now."""
        normal, prio = self._waiting_counts(s, [service], day)
        desks = self.open_desks(s, service) or len(self.config.desks_serving(service))
        since = (
            self._normals_since_priority(s, [service], day)
            if self.config.calling.policy == "every_n"
            else 0
        )
        return QueueSnapshot(
            day, normal, prio, desks, self.median_service_minutes(s, service), since
        )

    def estimate(self, s: Session, service: str, is_priority: bool, day: date) -> tuple[int, int]:
        """(people ahead, ETA minutes) for a new ticket of ``service``."""
        return self.snapshot(s, service, day).estimate(is_priority, self.config.calling)

    # ------------------------------------------------------------------ calling

    def _normals_since_priority(self, s: Session, services: list[str], day: date) -> int:
        base = (
            TicketRow.site == self.site,
            TicketRow.service.in_(services),
            TicketRow.day == day,
            TicketRow.first_called_at.is_not(None),
        )
        last_prio = s.scalar(
            select(func.max(TicketRow.first_called_at)).where(
                *base, TicketRow.priority.is_not(None)
            )
        )
        q = select(func.count()).where(*base, TicketRow.priority.is_(None))
        if last_prio is not None:
            q = q.where(TicketRow.first_called_at > last_prio)
        return int(s.scalar(q) or 0)

    def _head(self, s: Session, services: list[str], day: date, priority: bool) -> TicketRow | None:
        q = (
            select(TicketRow)
            .where(
                TicketRow.site == self.site,
                TicketRow.state == WAITING,
                TicketRow.service.in_(services),
                TicketRow.day == day,
                TicketRow.priority.is_not(None) if priority else TicketRow.priority.is_(None),
            )
            .order_by(TicketRow.issued_at, TicketRow.number)
            .limit(1)
        )
        if s.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return s.scalar(q)

    def call_next(self, s: Session, desk_id: str, changes: Changes) -> TicketRow | None:
        """Call the next ticket for the desk's services; ``None`` if nobody waits."""
        desk = self._working_desk(s, desk_id)
        self._ready_to_call(desk)
        services = self._desk_cfg(desk_id).services
        day = self.today()
        normal = self._head(s, services, day, priority=False)
        prio = self._head(s, services, day, priority=True)
        calling = self.config.calling
        since = self._normals_since_priority(s, services, day) if calling.policy == "every_n" else 0
        chosen = policy.pick(
            _Head(normal) if normal else None,
            _Head(prio) if prio else None,
            calling.policy,
            calling.every_n,
            since,
        )
        if chosen is None:
            return None
        self._call(s, desk, chosen.row, changes)
        return chosen.row

    def call_number(self, s: Session, desk_id: str, number: str, changes: Changes) -> TicketRow:
        """Call a specific number (waiting, or a no-show who came back) to this desk."""
        desk = self._working_desk(s, desk_id)
        self._ready_to_call(desk)
        services = self._desk_cfg(desk_id).services
        t = s.scalar(
            select(TicketRow)
            .where(
                TicketRow.site == self.site,
                TicketRow.day == self.today(),
                TicketRow.number == number.strip().upper(),
                TicketRow.service.in_(services),
                TicketRow.state.in_((WAITING, "no_show")),
            )
            .with_for_update()
        )
        if t is None:
            raise QueueError(
                "not_found",
                f"Không có số {number} đang chờ tại quầy này hôm nay",
                f"no waiting ticket {number} for this desk today",
                404,
            )
        self._call(s, desk, t, changes)
        return t

    def _ready_to_call(self, desk: DeskRow) -> None:
        if desk.paused:
            raise QueueError("desk_paused", "Quầy đang tạm dừng", "the desk is paused")
        if desk.ticket_id is not None:
            raise QueueError(
                "desk_busy",
                "Hãy kết thúc số đang phục vụ trước khi gọi số mới",
                "finish the ticket in hand first",
            )

    def _call(self, s: Session, desk: DeskRow, t: TicketRow, changes: Changes) -> None:
        at = self.clock()
        back_from_no_show = t.state == "no_show"
        t.state = "called"
        t.called_at = at
        t.first_called_at = t.first_called_at or at
        t.desk_id = desk.desk_id
        t.clerk_id = desk.clerk_id
        t.ended_at = None
        desk.ticket_id = t.id
        desk.updated_at = at
        self._event(s, t, "called", at, {"returned": True} if back_from_no_show else None)
        changes.services.add(t.service)
        changes.desks.add(desk.desk_id)
        changes.calls.append(t.id)
        if back_from_no_show:
            changes.stats.add(desk.desk_id)

    def recall(self, s: Session, desk_id: str, changes: Changes) -> TicketRow:
        desk = self._working_desk(s, desk_id)
        t = self._in_hand(s, desk)
        if t.state != "called":
            raise QueueError(
                "bad_state",
                "Chỉ gọi lại được số chưa đến quầy",
                "only a called ticket can be recalled",
            )
        at = self.clock()
        t.recall_count += 1
        t.called_at = at
        self._event(s, t, "recalled", at, {"recall": t.recall_count})
        changes.desks.add(desk_id)
        changes.calls.append(t.id)
        return t

    def start(self, s: Session, desk_id: str, changes: Changes) -> TicketRow:
        desk = self._working_desk(s, desk_id)
        t = self._in_hand(s, desk)
        if t.state != "called":
            raise QueueError("bad_state", "Số này đã bắt đầu phục vụ", "service already started")
        at = self.clock()
        t.state = "serving"
        t.started_at = at
        self._event(s, t, "started", at)
        changes.desks.add(desk_id)
        return t

    def done(
        self, s: Session, desk_id: str, changes: Changes, dossier_code: str | None = None
    ) -> TicketRow:
        """Finish the service; the pad at this desk then asks the citizen to rate it.
        ``dossier_code``: the mã hồ sơ typed or scanned from the appointment slip."""
        code = _dossier_code(dossier_code) if dossier_code is not None else None
        desk = self._working_desk(s, desk_id)
        t = self._in_hand(s, desk)
        at = self.clock()
        if t.state == "called":  # the clerk skipped "start": count service from the call
            t.started_at = t.called_at
            self._event(s, t, "started", at, {"implicit": True})
        t.state = "done"
        t.ended_at = at
        if code is not None:
            t.dossier_code = code
        self._event(s, t, "done", at, {"dossier_code": code} if code is not None else None)
        desk.ticket_id = None
        desk.rating_ticket_id = t.id
        desk.updated_at = at
        changes.desks.add(desk_id)
        changes.stats.add(desk_id)
        changes.services.add(t.service)
        return t

    def last_visit(self, s: Session, desk_id: str) -> tuple[TicketRow | None, bool]:
        """The visit finished last at this desk (today), and whether its dossier code may
        still be added or corrected: while it awaits its rating or within the rating
        window after it ended."""
        self._desk_cfg(desk_id)
        desk = s.scalar(
            select(DeskRow).where(DeskRow.site == self.site, DeskRow.desk_id == desk_id)
        )
        if desk is None:
            return None, False
        t = s.get(TicketRow, desk.rating_ticket_id) if desk.rating_ticket_id else None
        if t is None:
            t = s.scalar(
                select(TicketRow)
                .where(
                    TicketRow.site == self.site,
                    TicketRow.desk_id == desk_id,
                    TicketRow.day == self.today(),
                    TicketRow.state == "done",
                )
                .order_by(TicketRow.ended_at.desc(), TicketRow.called_at.desc())
                .limit(1)
            )
        if t is None or t.ended_at is None:
            return None, False
        now = self.clock()
        awaiting = t.id == desk.rating_ticket_id and self.today(t.ended_at) == self.today(now)
        window = timedelta(minutes=self.config.rating.window_minutes)
        return t, awaiting or t.ended_at + window > now

    def set_dossier_code(
        self,
        s: Session,
        desk_id: str,
        dossier_code: str,
        changes: Changes,
        ticket_id: uuid.UUID | None = None,
    ) -> TicketRow:
        """Add or correct the dossier code of the visit just finished at this desk (a
        clerk often scans the slip after pressing "done"). ``ticket_id``: the visit the
        clerk means; refused if the desk has finished another one since."""
        code = _dossier_code(dossier_code)
        self._desk(s, desk_id)  # locks the desk row: one change at a time
        t, open_ = self.last_visit(s, desk_id)
        if t is None or not open_:
            raise QueueError(
                "no_recent_visit",
                "Quầy không có lượt phục vụ vừa kết thúc để gắn mã hồ sơ "
                f"(chỉ trong {self.config.rating.window_minutes} phút sau khi hoàn thành)",
                "no visit just finished at this desk to attach the dossier code to",
            )
        if ticket_id is not None and ticket_id != t.id:
            raise QueueError(
                "visit_changed",
                f"Quầy đã hoàn thành số khác ({t.number}) từ đó: hãy kiểm tra lại",
                f"the desk has finished another ticket ({t.number}) since",
            )
        if t.dossier_code != code:  # the desk row's lock also guards its last visit
            self._event(
                s, t, "dossier", self.clock(), {"dossier_code": code, "was": t.dossier_code}
            )
            t.dossier_code = code  # nothing published shows it: ``changes`` stays as is
        return t

    def no_show(self, s: Session, desk_id: str, changes: Changes) -> TicketRow:
        desk = self._working_desk(s, desk_id)
        t = self._in_hand(s, desk)
        if t.state != "called":
            raise QueueError(
                "bad_state",
                "Công dân đã đến quầy: hãy kết thúc thay vì bỏ qua",
                "already being served",
            )
        at = self.clock()
        t.state = "no_show"
        t.ended_at = at
        self._event(s, t, "no_show", at)
        desk.ticket_id = None
        desk.updated_at = at
        changes.desks.add(desk_id)
        changes.stats.add(desk_id)
        return t

    def transfer(self, s: Session, desk_id: str, to_service: str, changes: Changes) -> TicketRow:
        """Send the citizen to another service, keeping the number and the original issue
        time, so they rejoin that queue at their original place."""
        desk = self._working_desk(s, desk_id)
        t = self._in_hand(s, desk)
        self._service(to_service)
        if to_service == t.service:
            raise QueueError(
                "same_service", "Số này đã ở lĩnh vực đó", "already in that service", 400
            )
        at = self.clock()
        t.state = "transferred"
        t.ended_at = at
        self._event(s, t, "transferred", at, {"to": to_service})
        new = TicketRow(
            id=uuid.uuid4(),
            site=self.site,
            service=to_service,
            day=t.day,
            seq=None,
            number=t.number,
            priority=t.priority,
            state=WAITING,
            issued_at=t.issued_at,
            recall_count=0,
            kiosk_id=t.kiosk_id,
            offline=t.offline,
            transferred_from=t.id,
        )
        s.add(new)
        self._event(s, new, "issued", at, {"transferred_from": str(t.id), "from": t.service})
        desk.ticket_id = None
        desk.updated_at = at
        changes.desks.add(desk_id)
        changes.stats.add(desk_id)
        changes.services |= {t.service, to_service}
        s.flush()
        return new

    # ------------------------------------------------------------------ desks

    def open_desk(
        self, s: Session, desk_id: str, clerk_id: str, changes: Changes, *, force: bool = False
    ) -> DeskRow:
        """A clerk logs in at a desk; the desk then counts as open for calls and ETA."""
        if clerk_id not in self.config.clerk_by_id:
            raise QueueError(
                "unknown_clerk", f"Không có cán bộ “{clerk_id}”", f"unknown clerk {clerk_id!r}", 404
            )
        desk = self._desk(s, desk_id)
        if desk.open and desk.clerk_id not in (None, clerk_id) and not force:
            raise QueueError(
                "desk_taken",
                "Quầy đang do cán bộ khác phụ trách",
                "another clerk is logged in here",
            )
        elsewhere = s.scalar(
            select(DeskRow.desk_id).where(
                DeskRow.site == self.site,
                DeskRow.open.is_(True),
                DeskRow.clerk_id == clerk_id,
                DeskRow.desk_id != desk_id,
            )
        )
        if elsewhere is not None and not force:
            # One clerk, one desk: a second open desk would call people to an empty chair
            # and count twice in every ETA.
            name = self._desk_cfg(elsewhere).name
            raise QueueError(
                "clerk_elsewhere",
                f"Cán bộ đang làm việc ở {name}: hãy đóng quầy đó trước",
                f"already logged in at {name}: close it first",
            )
        at = self.clock()
        desk.open = True
        desk.clerk_id = clerk_id
        desk.updated_at = at
        self._desk_event(s, desk, "open", at)
        changes.desks.add(desk_id)
        changes.services |= set(self._desk_cfg(desk_id).services)
        return desk

    def close_desk(self, s: Session, desk_id: str, changes: Changes) -> DeskRow:
        desk = self._desk(s, desk_id)
        if desk.ticket_id is not None:
            raise QueueError(
                "desk_busy",
                "Hãy kết thúc số đang phục vụ trước khi đóng quầy",
                "finish the ticket first",
            )
        at = self.clock()
        self._desk_event(s, desk, "close", at)
        desk.open = False
        desk.paused = False
        desk.pause_reason = None
        desk.clerk_id = None
        desk.updated_at = at
        changes.desks.add(desk_id)
        changes.services |= set(self._desk_cfg(desk_id).services)
        return desk

    def pause(self, s: Session, desk_id: str, reason: str, changes: Changes) -> DeskRow:
        desk = self._working_desk(s, desk_id)
        reason = " ".join(reason.split())
        if not reason or len(reason) > 200:
            raise QueueError(
                "bad_reason",
                "Hãy ghi lý do tạm dừng (tối đa 200 ký tự)",
                "give a reason (≤ 200 chars)",
                400,
            )
        if desk.ticket_id is not None:
            raise QueueError(
                "desk_busy",
                "Hãy kết thúc số đang phục vụ trước khi tạm dừng",
                "finish the ticket first",
            )
        at = self.clock()
        desk.paused = True
        desk.pause_reason = reason
        desk.updated_at = at
        self._desk_event(s, desk, "pause", at, reason)
        changes.desks.add(desk_id)
        changes.services |= set(self._desk_cfg(desk_id).services)
        return desk

    def resume(self, s: Session, desk_id: str, changes: Changes) -> DeskRow:
        desk = self._working_desk(s, desk_id)
        if not desk.paused:
            raise QueueError("not_paused", "Quầy không tạm dừng", "the desk is not paused")
        at = self.clock()
        desk.paused = False
        desk.pause_reason = None
        desk.updated_at = at
        self._desk_event(s, desk, "resume", at)
        changes.desks.add(desk_id)
        changes.services |= set(self._desk_cfg(desk_id).services)
        return desk

    def close_previous_days(self, s: Session, changes: Changes) -> int:
        """Cancel tickets left open from earlier days (the numbering restarts each day)."""
        today = self.today()
        stale = list(
            s.scalars(
                select(TicketRow)
                .where(
                    TicketRow.site == self.site,
                    TicketRow.day < today,
                    TicketRow.state.in_((WAITING, *IN_HAND)),
                )
                .with_for_update()
            )
        )
        at = self.clock()
        for t in stale:
            t.state = "cancelled"
            t.ended_at = at
            self._event(s, t, "cancelled", at, {"reason": "day_closed"})
            changes.services.add(t.service)
        if stale:
            ids = [t.id for t in stale]
            s.execute(
                update(DeskRow)
                .where(DeskRow.site == self.site, DeskRow.ticket_id.in_(ids))
                .values(ticket_id=None, updated_at=at)
            )
            changes.desks |= {t.desk_id for t in stale if t.desk_id}
        return len(stale)

    # ------------------------------------------------------------------ published state

    def queue_state(self, s: Session, service: str) -> QueueState:
        """Counts and the next numbers to be called; reads only the heads of the queue."""
        svc = self._service(service)
        day = self.today()
        limit = 5
        heads: dict[bool, list[_Head]] = {}
        for is_prio in (False, True):
            rows = s.scalars(
                select(TicketRow)
                .where(
                    TicketRow.site == self.site,
                    TicketRow.state == WAITING,
                    TicketRow.service == service,
                    TicketRow.day == day,
                    TicketRow.priority.is_not(None) if is_prio else TicketRow.priority.is_(None),
                )
                .order_by(TicketRow.issued_at, TicketRow.number)
                .limit(limit)
            )
            heads[is_prio] = [_Head(t) for t in rows]
        calling = self.config.calling
        since = (
            self._normals_since_priority(s, [service], day) if calling.policy == "every_n" else 0
        )
        order = policy.call_order(
            heads[False], heads[True], calling.policy, calling.every_n, since, limit=limit
        )
        snap = self.snapshot(s, service, day)
        _ahead, eta_min = snap.estimate(False, calling)
        now = self.clock()
        oldest = min((h[0].row.issued_at for h in heads.values() if h), default=None)
        return QueueState(
            service=service,
            name=svc.name,
            waiting=snap.normal + snap.priority,
            waiting_priority=snap.priority,
            next_numbers=[h.row.number for h in order],
            eta_minutes=eta_min,
            open_desks=self.open_desks(s, service),
            longest_wait_s=(now - oldest).total_seconds() if oldest else None,
            updated_at=now,
        )

    def desk_state(self, s: Session, desk_id: str) -> DeskState:
        cfg = self._desk_cfg(desk_id)
        row = s.scalar(select(DeskRow).where(DeskRow.site == self.site, DeskRow.desk_id == desk_id))
        now = self.clock()
        if row is None:
            return DeskState(
                desk_id=desk_id, name=cfg.name, services=cfg.services, open=False, updated_at=now
            )
        clerk = None
        if row.clerk_id and row.clerk_id in self.config.clerk_by_id:
            c = self.config.clerk_by_id[row.clerk_id]
            clerk = ClerkInfo(
                id=c.id, name=c.name, photo_url=f"/media/clerks/{c.id}" if c.photo else None
            )
        serving = None
        if row.ticket_id is not None:
            t = s.get(TicketRow, row.ticket_id)
            if t is not None and t.called_at is not None and t.state in IN_HAND:
                serving = TicketInHand(
                    ticket_id=t.id,
                    number=t.number,
                    service=t.service,
                    priority=t.priority,
                    state=t.state,  # type: ignore[arg-type]
                    called_at=t.called_at,
                    started_at=t.started_at,
                    recall_count=t.recall_count,
                )
        awaiting = None
        if row.rating_ticket_id is not None:
            t = s.get(TicketRow, row.rating_ticket_id)
            window = timedelta(minutes=self.config.rating.window_minutes)
            if t is not None and t.ended_at is not None and t.ended_at + window > now:
                from server.db.tables import RatingRow

                rated = s.scalar(select(RatingRow.id).where(RatingRow.ticket_id == t.id))
                if rated is None:
                    awaiting = AwaitingRating(
                        ticket_id=t.id,
                        number=t.number,
                        service=t.service,
                        clerk_id=t.clerk_id,
                        done_at=t.ended_at,
                        expires_at=t.ended_at + window,
                    )
        return DeskState(
            desk_id=desk_id,
            name=cfg.name,
            services=cfg.services,
            open=row.open,
            paused=row.paused,
            pause_reason=row.pause_reason,
            clerk=clerk,
            serving=serving,
            awaiting_rating=awaiting,
            updated_at=row.updated_at,
        )
