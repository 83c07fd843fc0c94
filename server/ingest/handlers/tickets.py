"""The kiosks' ticket messages: a request for a number (answered at once), and a number
the kiosk issued offline from its reserve (merged, then receipted).

A ticket request is the hot path of every kiosk press: every refusal happens before its
first write (the sender, a replay, the request's age, the service), and only then is its
msg_id claimed and the number issued, so the worker may apply it without a savepoint.
"""

from __future__ import annotations

import json

from protocol.clock import on_server_clock
from protocol.messages import OfflineTicket, TicketRequest, TicketResponse
from protocol.refusals import Reason
from server.config import SiteConfig
from server.ingest.admission import Admission, Inbound, decode_as
from server.ingest.batch import Outcome
from server.ingest.dedup import Dedup
from server.ingest.rejections import Refused
from server.ratings.rules import CLOCK_SKEW
from server.services.tickets import TicketService
from server.services.unit import Unit


class TicketHandlers:
    def __init__(
        self, config: SiteConfig, admission: Admission, dedup: Dedup, tickets: TicketService
    ) -> None:
        self.config = config
        self.topics = config.topics
        self.admission = admission
        self.dedup = dedup
        self.tickets = tickets

    def request(self, unit: Unit, item: Inbound, out: Outcome) -> None:
        """Issue a number, answer the kiosk, and keep the answer for a replay."""
        s, kiosk_id = unit.session, item.ident
        req = decode_as(TicketRequest, item)
        self.admission.check_sender(req.device_id, kiosk_id, "kiosk")
        reply_topic = self.topics.ticket_response(kiosk_id)
        seen = self.dedup.seen(s, req.msg_id, out)
        if seen is not None:
            if seen.response is not None:
                out.replies.append((reply_topic, json.dumps(seen.response).encode()))
            raise Refused(
                Reason.DUPLICATE,
                f"msg_id {req.msg_id} already processed; original answer re-sent",
                answered=seen.response is not None,
            )
        self._check_fresh(req, item)
        self.tickets.check(req.service, req.priority)  # a `QueueError` is answered as such
        self.dedup.claim(s, req.msg_id, "ticket_request", kiosk_id, item.received_at)
        ticket = self.tickets.issue(unit, kiosk_id, req.service, req.priority, out.snapshots)
        response = TicketResponse(request_id=req.msg_id, ok=True, ticket=ticket)
        stored = response.model_dump(mode="json", by_alias=True)
        self.dedup.store_response(s, req.msg_id, stored, out)
        out.replies.append((reply_topic, response.to_json()))

    def _check_fresh(self, req: TicketRequest, item: Inbound) -> None:
        """Refuse a request older than its time to live (the kiosk has given up on it)
        or sent from a clock ahead of ours.

        Judged on the server's clock: ``sent_at`` plus the offset the kiosk measured
        from our heartbeat (`protocol.clock`), so a kiosk whose clock is off still gets
        numbers while a request replayed long after is still too old. Without an offset
        (not synced yet), ``sent_at`` as sent.
        """
        sent_at = on_server_clock(req.sent_at, req.clock_offset_s)
        age = (item.received_at - sent_at).total_seconds()
        ttl = self.config.calling.request_ttl_s
        if age > ttl:
            raise Refused(Reason.REQUEST_EXPIRED, f"request is {age:.0f} s old (limit {ttl} s)")
        if sent_at > item.received_at + CLOCK_SKEW:  # the same tolerance as ratings
            ahead = (sent_at - item.received_at).total_seconds()
            raise Refused(
                Reason.SENT_IN_FUTURE, f"sent_at is {ahead:.0f} s later than the server clock"
            )

    def offline(self, unit: Unit, item: Inbound, out: Outcome) -> None:
        """A number the kiosk issued from its reserve block while it could not reach us,
        delivered by its outbox: merged into the queue at its issue time (see
        `server.queue.reserve.merge_offline`). Refused or not, the kiosk gets a receipt,
        so its outbox does not send it again."""
        s, kiosk_id = unit.session, item.ident
        msg = decode_as(OfflineTicket, item)
        self.admission.check_sender(msg.device_id, kiosk_id, "kiosk")
        if self.dedup.seen(s, msg.msg_id, out) is not None:
            raise Refused(Reason.DUPLICATE, f"msg_id {msg.msg_id} already processed")
        self.dedup.claim(s, msg.msg_id, "offline_ticket", kiosk_id, item.received_at)
        self.tickets.merge_offline(unit, kiosk_id, msg, item.received_at)  # or `QueueError`
