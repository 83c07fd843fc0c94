"""Refusing a device message: the refusal, its record, its answer, its log line.

A refused message is stored in ``rejected_messages``, reported on ``server/rejected``
with its reason, acknowledged and receipted like any other (so it is not redelivered
forever), and answered if it is a ticket request (the kiosk would otherwise wait for its
timeout). Admission and the handlers raise `Refused`, or let the domain's own refusal
(`QueueError`, `RatingRefused`, `InvalidMessage`: every `MotcuaError`) through;
`Rejections` is the one place that turns a refusal into all of the above — the MQTT
boundary's translator, the ``Refusal`` answer worded by `protocol.refusals` — and must
never raise, whatever the payload holds. A looping device can send thousands of bad
messages a minute, so refusals are logged through `RefusalLog`: the first of each reason
at once, the rest counted and summed up once a minute (the counters are in
`server.ingest.health`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from protocol.decoding import excerpt, printable
from protocol.errors import MotcuaError
from protocol.messages import Refusal, Rejected, TicketResponse
from protocol.refusals import Reason
from protocol.topics import TopicKind
from server.config import SiteConfig
from server.db.tables import RejectedMessageRow
from server.ingest.batch import Outcome

if TYPE_CHECKING:  # admission raises `Refused`: a runtime import would be circular
    from server.ingest.admission import Admission, Inbound

log = logging.getLogger(__name__)

_REJECTED = cast(Table, RejectedMessageRow.__table__)
#: Refusals are summed up in the log at most this often.
LOG_EVERY_S = 60.0


class Refused(MotcuaError):
    """A message the server will not apply, ``detail`` saying what was wrong with it. For
    a ticket request, the kiosk is told why unless ``answered`` (a duplicate re-sends the
    original answer instead)."""

    def __init__(
        self,
        code: Reason,
        detail: str = "",
        /,
        *,
        variant: str | None = None,
        answered: bool = False,
        **params: object,
    ) -> None:
        super().__init__(code, detail, variant=variant, **params)
        self.answered = answered


class RefusalLog:
    """Logs refused messages without flooding: the first refusal of each reason in a
    window at WARNING, with its topic and detail; the others of that window as one
    summary line when the window ends."""

    def __init__(
        self, every_s: float = LOG_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every_s = every_s
        self.clock = clock
        self._counts: dict[str, int] = {}
        self._window_end = 0.0

    def refused(self, rej: Rejected) -> None:
        self.flush_if_due()
        count = self._counts.get(rej.reason, 0)
        if count == 0:
            log.warning("refused message on %s: %s — %s", rej.topic, rej.reason, rej.detail)
        self._counts[rej.reason] = count + 1

    def flush_if_due(self) -> None:
        now = self.clock()
        if now < self._window_end:
            return
        more = {code: n - 1 for code, n in self._counts.items() if n > 1}
        if more:
            log.warning(
                "refused %d more message(s) in the last %.0f s: %s",
                sum(more.values()),
                self.every_s,
                ", ".join(f"{code} ×{n}" for code, n in sorted(more.items())),
            )
        self._counts = {}
        self._window_end = now + self.every_s


class Rejections:
    """Records and answers the refusals of one site."""

    def __init__(self, config: SiteConfig, admission: Admission) -> None:
        self.site = config.site.code
        self.topics = config.topics
        self.admission = admission
        self.log = RefusalLog()

    def reject(self, out: Outcome, item: Inbound, refusal: MotcuaError) -> None:
        """Record a refusal, and answer it if it is a ticket request (unless `Refused`
        says it is ``answered``). Must never raise, whatever the payload holds."""
        code = refusal.code
        msg_id = item.msg_id
        device = self.admission.sender(item)
        try:
            rej = Rejected(
                topic=printable(item.topic, 300),
                reason=code,
                detail=printable(refusal.detail, 500),
                excerpt=excerpt(item.payload),
                device_id=device,
                msg_id=msg_id,
                at=item.received_at,
            )
        except ValidationError:
            rej = Rejected(
                topic="(unprintable topic)",
                reason=code,
                detail="(unprintable detail)",
                excerpt="",
                at=item.received_at,
            )
        out.rejected.append(rej)
        if not (isinstance(refusal, Refused) and refusal.answered):
            self._answer(out, item, refusal)

    def _answer(self, out: Outcome, item: Inbound, refused: MotcuaError) -> None:
        """Tell a kiosk why its ticket request was refused (it would otherwise wait for
        its timeout), when the request's msg_id is readable: the refusal's code and
        sentences (a fault of the device's own: a generic one and the detail)."""
        if item.route is None or item.kind is not TopicKind.TICKET_REQUEST:
            return
        request_id = item.msg_id
        if request_id is None or item.route.ident is None:
            return
        refusal = Refusal(
            code=refused.code,
            message=printable(refused.message, 80),
            message_en=printable(refused.message_en, 80),
        )
        answer = TicketResponse(request_id=request_id, ok=False, refusal=refusal)
        out.replies.append((self.topics.ticket_response(item.route.ident), answer.to_json()))

    def store(self, s: Session, rejected: list[Rejected]) -> None:
        """Insert the batch's refusals into ``rejected_messages``."""
        if rejected:
            s.execute(insert(_REJECTED), [self._row(r) for r in rejected])

    def _row(self, rej: Rejected) -> dict[str, Any]:
        return {
            "site": self.site,
            "received_at": rej.at,
            "topic": rej.topic[:300],
            "reason": rej.reason,
            "detail": rej.detail,
            "excerpt": rej.excerpt,
            "device_id": rej.device_id,
            "msg_id": str(rej.msg_id) if rej.msg_id else None,
        }

    def committed(self, rejected: list[Rejected]) -> None:
        """Log the refusals of a committed batch (rate-limited)."""
        for rej in rejected:
            self.log.refused(rej)
        self.log.flush_if_due()
