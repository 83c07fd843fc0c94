"""A citizen rates a visit on their own phone (``POST /t/{id}/rating``).

The same rules as the pad and the kiosk (`server.ratings.rules`, through
`RatingService`): one rating per ticket whatever the device, within the rating window,
praise only after a positive level, reasons only after a negative one. The rating goes
to the last row of the ticket's transfer chain (where the visit ended), with source
``phone``, device ``phone`` and the server's clock as its time; nothing about the
citizen is stored.

The page makes a ``msg_id`` once per form: sending it again (a retry after a lost
answer) answers the same success instead of a second rating. A public form, so posts
are rate-limited per client address and per ticket (`Throttle`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from protocol.codes import RatingSource
from protocol.conduct import PRAISE_CODES, REASON_CODES, RawLevel
from protocol.messages import VisitRating
from protocol.refusals import Reason
from protocol.text import Identifier, LongText
from server.auth.ratelimit import Throttle
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow
from server.ratings.rules import RatingIn, RatingRefused
from server.readmodels.ticket_view import transfer_chains
from server.services.ratings import RatingService
from server.services.unit import Publisher, transaction
from server.timeutil import now_utc

log = logging.getLogger(__name__)

#: The device id stored with a phone's rating (no citizen data).
PHONE_DEVICE = "phone"
#: Rating posts allowed per client address and per ticket within `THROTTLE_WINDOW_S`.
THROTTLE_LIMIT = 20
THROTTLE_WINDOW_S = 600.0

Items = Annotated[list[Identifier], Field(max_length=13)]


class PhoneRating(BaseModel):
    """The rating form's body. Unknown fields are refused; the comment is NFC, at most
    500 characters, without control characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    msg_id: uuid.UUID
    level: RawLevel
    praised: Items = Field(default_factory=list)
    reasons: Items = Field(default_factory=list)
    comment: LongText | None = None

    @model_validator(mode="after")
    def _fits_level(self) -> Self:
        if len(set(self.praised)) != len(self.praised) or len(set(self.reasons)) != len(
            self.reasons
        ):
            raise ValueError("items must not repeat")
        if set(self.praised) - PRAISE_CODES or set(self.reasons) - REASON_CODES:
            raise ValueError("unknown conduct item")
        positive = self.level.official.positive
        if (self.praised and not positive) or (self.reasons and positive):
            raise ValueError("praise goes with a positive level, reasons with a negative one")
        return self


class PhoneRefused(Exception):
    """A rating not taken: ``key`` is its sentence in `server.web.phone_i18n.PHONE`,
    ``status`` the HTTP status, ``code`` the stable code the page acts on."""

    def __init__(self, code: str, key: str, status: int) -> None:
        super().__init__(code)
        self.code = code
        self.key = key
        self.status = status


#: A refusal of the rating rules → (code, sentence key, HTTP status).
_REFUSALS: dict[str, tuple[str, str, int]] = {
    Reason.ALREADY_RATED: ("already_rated", "err_already_rated", 409),
    Reason.TICKET_NOT_DONE: ("not_done", "err_not_done", 409),
    Reason.BEFORE_DONE: ("not_done", "err_not_done", 409),
    Reason.WINDOW_EXPIRED: ("window_expired", "err_window", 410),
    Reason.BAD_LEVEL: ("bad_level", "err_level", 422),
    Reason.UNKNOWN_TICKET: ("not_found", "err_not_found", 404),
}


@dataclass(frozen=True)
class PhoneRated:
    """A rating stored (or the same one sent again: ``replay``)."""

    ticket_id: uuid.UUID
    replay: bool


class PhoneService:
    def __init__(
        self,
        config: SiteConfig,
        db: Database,
        publisher: Publisher,
        ratings: RatingService,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.config = config
        self.db = db
        self.publisher = publisher
        self.ratings = ratings
        self.clock = clock
        self.throttle = Throttle(THROTTLE_LIMIT, THROTTLE_WINDOW_S)

    def wait_s(self, address: str, ticket_id: uuid.UUID) -> int:
        """Count one post; 0, or the seconds to wait before another is taken."""
        return self.throttle.take(f"address:{address}", f"ticket:{ticket_id}")

    def rate(self, ticket_id: uuid.UUID, form: PhoneRating) -> PhoneRated:
        """Store the phone's rating of ``ticket_id``'s visit, or raise `PhoneRefused`."""
        try:
            return self._rate(ticket_id, form)
        except IntegrityError:
            # Another post of the same form (or a pad) won the race: answer as if it
            # had come first.
            log.info("phone rating of %s raced another; answered from the stored one", ticket_id)
            return self._rate(ticket_id, form)

    def _rate(self, ticket_id: uuid.UUID, form: PhoneRating) -> PhoneRated:
        now = self.clock()
        site = self.config.site.code
        with transaction(self.db, self.publisher) as unit:
            s = unit.session
            seq = transfer_chains(s, site, [ticket_id]).get(ticket_id)
            if seq is None:
                raise PhoneRefused("pending", "err_pending", 404)
            visit = seq[-1].id
            before = s.scalar(select(RatingRow.ticket_id).where(RatingRow.msg_id == form.msg_id))
            if before is not None:
                if before in {r.id for r in seq}:
                    return PhoneRated(visit, replay=True)
                raise PhoneRefused("conflict", "err_conflict", 409)
            rating = VisitRating(
                msg_id=form.msg_id,
                device_id=PHONE_DEVICE,
                sent_at=now,
                ticket_id=visit,
                level=form.level,
                praised=form.praised,
                reasons=form.reasons,
            )
            item = RatingIn(rating, None, now, source=RatingSource.PHONE, comment=form.comment)
            stored = self.ratings.store(s, [item])
            result = stored.results[0]
            if isinstance(result, RatingRefused):
                code, key, status = _REFUSALS.get(result.code, ("refused", "err_refused", 409))
                log.info("phone rating of %s refused: %s", ticket_id, result.detail)
                raise PhoneRefused(code, key, status)
            unit.changes.merge(stored.changes)
        return PhoneRated(visit, replay=False)
