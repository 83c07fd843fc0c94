"""The kiosk's work, without any Kivy: services, numbers, printing, health, ratings.

Every public method may be called from the UI thread; listeners registered with
``on_change`` are called from the MQTT thread (the UI hops to its own thread).

Numbers: the kiosk asks the server (request/response over MQTT). When the broker or
the server cannot be reached, or does not answer within ``request_timeout_s``, it issues
the next number of its reserve block for that service (allocated by the server for
today, kept on disk) and sends it to the server through the durable outbox; the server
merges it into the queue by issue time. The citizen sees a number either way.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.config import KioskConfig
from kiosk.state import KioskState, ReserveExhausted
from protocol.clock import now_utc
from protocol.conduct import RawLevel
from protocol.errors import MotcuaError
from protocol.i18n import Localized
from protocol.messages import (
    DeviceHealth,
    OfflineTicket,
    PrinterState,
    PriorityInfo,
    QueueState,
    ReserveBlock,
    ReserveBlocks,
    ServiceInfo,
    TicketRequest,
    TicketResponse,
    VisitRating,
)
from protocol.mqtt.errors import LinkError
from protocol.mqtt.message import Message
from protocol.numbers import format_number
from protocol.refusals import Reason, as_reason
from ticket_printer import Printer, PrinterError, Ticket, TicketLabels
from touch_ui.device_core import DeviceCore

log = logging.getLogger(__name__)


class KioskRefused(MotcuaError):
    """No number for this request (e.g. a service closed); show the reason politely:
    ``said``, the server's own words when it refused, else the catalog's."""

    def __init__(
        self, code: Reason, said: Localized | None = None, *, variant: str | None = None
    ) -> None:
        self.said = said
        super().__init__(code, said.vi if said else "", variant=variant)

    def worded(self, detail: str) -> Localized:
        return self.said or super().worded(detail)


class NoNumberAvailable(Exception):
    """Neither the server nor the reserve can give a number (reserve used up or missing)."""


@dataclass(frozen=True)
class ServiceButton:
    code: str
    name: str
    #: Empty when the site gives none (`protocol.i18n.localized` shows ``name`` then).
    name_en: str
    prefix: str
    #: From the retained ``queue/{service}``; None until the first one arrives.
    waiting: int | None
    eta_minutes: int | None
    open_desks: int | None


@dataclass(frozen=True)
class IssuedNumber:
    ticket_id: uuid.UUID
    number: str
    service: str
    service_name: str
    #: Empty when the site gives none (`protocol.i18n.localized` shows the name then).
    service_name_en: str
    priority: str | None
    people_ahead: int
    eta_minutes: int
    issued_at: datetime
    day: date
    #: Issued from the kiosk's reserve while the server was unreachable.
    offline: bool


@dataclass(frozen=True)
class PrintOutcome:
    printed: bool
    state: PrinterState
    message: str = ""


class KioskCore(DeviceCore):
    def __init__(
        self,
        config: KioskConfig,
        *,
        printer: Printer | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        super().__init__(config, health_every_s=config.kiosk.health_every_s, clock=clock)
        self.config: KioskConfig = config
        self.tz = ZoneInfo(config.timezone)
        self.state = KioskState(config.state_dir / f"{config.device_id}.state.db")
        if printer is None and config.printer is not None:
            printer = Printer(config.printer)
        self.printer = printer
        self.printer_state: PrinterState | None = PrinterState.UNKNOWN if printer else None
        self.printer_detail: str | None = None
        self._setup: ReserveBlocks | None = self.state.load_setup()
        self._queues: dict[str, QueueState] = {}
        #: Offline numbers issued per service since that service's last queue update.
        self._offline_since: dict[str, int] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def subscribe(self) -> None:
        self.link.subscribe(self.topics.queue("+"), self._on_queue)
        self.link.subscribe(self.topics.kiosk_reserve(self.config.device_id), self._on_reserve)

    def close(self) -> None:
        if self.printer is not None:
            self.printer.close()
        self.state.close()

    # ------------------------------------------------------------------ inbound

    def _on_queue(self, msg: Message) -> None:
        q = self.decoded(QueueState, msg)
        if q is None:
            return
        with self._lock:
            self._queues[q.service] = q
            self._offline_since.pop(q.service, None)
        self.changed()

    def _on_reserve(self, msg: Message) -> None:
        setup = self.decoded(ReserveBlocks, msg)
        if setup is None:
            return
        if setup.kiosk_id != self.config.device_id:
            log.warning("ignored a reserve message for %s", setup.kiosk_id)
            return
        self.state.save_setup(setup)
        with self._lock:
            self._setup = setup
        self.changed()

    # ------------------------------------------------------------------ reading

    @property
    def office_name(self) -> tuple[str, str]:
        s = self._setup
        return (s.office_name, s.office_name_en) if s else ("", "")

    def today(self) -> date:
        return self.clock().astimezone(self.tz).date()

    def services(self) -> list[ServiceButton]:
        with self._lock:
            setup, queues = self._setup, dict(self._queues)
        if setup is None:
            return []
        out = []
        for svc in setup.services:
            q = queues.get(svc.code)
            out.append(
                ServiceButton(
                    code=svc.code,
                    name=svc.name,
                    name_en=svc.name_en,
                    prefix=svc.prefix,
                    waiting=q.waiting + self._offline_since.get(svc.code, 0) if q else None,
                    eta_minutes=q.eta_minutes if q else None,
                    open_desks=q.open_desks if q else None,
                )
            )
        return out

    def priorities(self) -> list[PriorityInfo]:
        return list(self._setup.priorities) if self._setup else []

    def reserve_left(self, service: str) -> int:
        block = self._block(service)
        return self.state.reserve_left(block, self.today()) if block else 0

    def _service(self, code: str) -> ServiceInfo:
        for svc in self._setup.services if self._setup else []:
            if svc.code == code:
                return svc
        raise KioskRefused(Reason.UNKNOWN_SERVICE, variant="kiosk")

    def _block(self, service: str) -> ReserveBlock | None:
        setup = self._setup
        if setup is None or setup.day != self.today():
            return None
        return next((b for b in setup.blocks if b.service == service), None)

    # ------------------------------------------------------------------ numbers

    def take_number(self, service: str, priority: str | None = None) -> IssuedNumber:
        """A number for the citizen: from the server, or else from the reserve block."""
        svc = self._service(service)
        if self.online:
            request = TicketRequest(
                device_id=self.config.device_id,
                sent_at=self.clock(),
                clock_offset_s=self.clock_offset(),
                service=service,
                priority=priority,
            )
            try:
                response = self.link.request(
                    self.topics.ticket_request(self.config.device_id),
                    request,
                    self.topics.ticket_response(self.config.device_id),
                    TicketResponse,
                    self.config.kiosk.request_timeout_s,
                )
            except LinkError as e:
                log.warning("no answer from the server (%s): issuing from the reserve", e)
            else:
                if response.ok and response.ticket is not None:
                    t = response.ticket
                    return IssuedNumber(
                        ticket_id=t.ticket_id,
                        number=t.number,
                        service=t.service,
                        service_name=t.service_name,
                        service_name_en=svc.name_en,
                        priority=t.priority,
                        people_ahead=t.people_ahead,
                        eta_minutes=t.eta_minutes,
                        issued_at=t.issued_at,
                        day=t.day,
                        offline=False,
                    )
                r = response.refusal
                if r is not None and r.code != Reason.REQUEST_EXPIRED:
                    raise KioskRefused(as_reason(r.code), Localized(r.message, r.message_en))
                log.warning("server could not answer in time (%s): reserve", r and r.code)
        return self._issue_offline(svc, priority)

    def _issue_offline(self, svc: ServiceInfo, priority: str | None) -> IssuedNumber:
        day = self.today()
        block = self._block(svc.code)
        if block is None:
            raise NoNumberAvailable(f"no reserve block for {svc.code} on {day}")
        try:
            seq = self.state.take_reserve(block, day)
        except ReserveExhausted:
            raise NoNumberAvailable(f"the reserve block of {svc.code} is used up") from None
        issued_at = self.clock()
        event = OfflineTicket(
            device_id=self.config.device_id,
            sent_at=issued_at,
            clock_offset_s=self.clock_offset(),
            ticket_id=uuid.uuid4(),
            number=format_number(block.prefix, seq),
            service=svc.code,
            priority=priority,
            issued_at=issued_at,
            day=day,
        )
        # Stored in the outbox (committed) before the number is shown: it cannot be lost.
        self.link.publish_event(self.topics.ticket_offline(self.config.device_id), event)
        with self._lock:
            q = self._queues.get(svc.code)
            ahead = (q.waiting if q else 0) + self._offline_since.get(svc.code, 0)
            self._offline_since[svc.code] = self._offline_since.get(svc.code, 0) + 1
            per_person = (q.eta_minutes / q.waiting) if q and q.waiting else 0.0
        self.changed()
        return IssuedNumber(
            ticket_id=event.ticket_id,
            number=event.number,
            service=svc.code,
            service_name=svc.name,
            service_name_en=svc.name_en,
            priority=priority,
            people_ahead=ahead,
            eta_minutes=round(ahead * per_person),
            issued_at=issued_at,
            day=day,
            offline=True,
        )

    def ticket_link(self, issued: IssuedNumber) -> str:
        """What the QR code holds: where to follow the queue and rate this visit."""
        base = (self._setup.public_url if self._setup else "").rstrip("/")
        path = f"/t/{issued.ticket_id}"
        return f"{base}{path}" if base else f"motcua:{issued.ticket_id}"

    # ------------------------------------------------------------------ printing

    def print_ticket(self, issued: IssuedNumber, priority_name: str | None = None) -> PrintOutcome:
        """Print the ticket; a fault is reported on the health topic, never raised."""
        if self.printer is None:
            return PrintOutcome(False, PrinterState.UNKNOWN, "no printer configured")
        office = self.office_name[0] or self.config.site
        ticket = Ticket(
            office_name=office,
            service_name=issued.service_name,
            number=issued.number,
            priority=priority_name,
            people_ahead=issued.people_ahead,
            estimated_wait_min=issued.eta_minutes,
            issued_at=issued.issued_at,
            timezone=self.config.timezone,
            qr=self.ticket_link(issued),
            footer="Xin cảm ơn, mời ông/bà chờ gọi số",
            labels=TicketLabels(),
        )
        try:
            report = self.printer.print_ticket(ticket)
        except PrinterError as e:
            log.error("ticket %s not printed: %s", issued.number, e)
            self._set_printer(PrinterState(e.status.value), str(e))
            return PrintOutcome(False, PrinterState(e.status.value), str(e))
        state = PrinterState(report.status_before.value)
        if state not in (PrinterState.PAPER_NEAR_END,):
            state = PrinterState.OK
        self._set_printer(state, None)
        return PrintOutcome(True, state)

    def _set_printer(self, state: PrinterState, detail: str | None) -> None:
        changed = state != self.printer_state
        self.printer_state, self.printer_detail = state, detail
        if changed:
            self.report_health_now()
            self.changed()

    # ------------------------------------------------------------------ ratings

    def rate_visit(
        self,
        number: str,
        level: RawLevel,
        praised: list[str] | None = None,
        reasons: list[str] | None = None,
        *,
        partial: bool = False,
    ) -> VisitRating:
        """Send "rate a visit" through the outbox; the server applies the usual rules."""
        rating = VisitRating(
            device_id=self.config.device_id,
            sent_at=self.clock(),
            clock_offset_s=self.clock_offset(),
            number=number,
            day=self.today(),
            level=level,
            praised=praised or [],
            reasons=reasons or [],
            partial=partial,
        )
        self.link.publish_event(self.topics.kiosk_rating(self.config.device_id), rating)
        return rating

    def known_prefixes(self) -> list[str]:
        return sorted({s.prefix for s in self._setup.services}) if self._setup else []

    # ------------------------------------------------------------------ health

    def health(self, **extra: Any) -> DeviceHealth:
        detail = (self.printer_detail or "")[:200] or None
        return super().health(printer=self.printer_state, detail=detail, **extra)

    def check_hardware(self) -> None:
        if self.printer is not None:
            # Paper running out, or a fault cleared: find out without a citizen.
            status = self.printer.check_status()
            if status.value != self.printer_state:
                self._set_printer(PrinterState(status.value), None)
