"""Citizens' ratings from pads (``desk/{id}/rating``) and kiosks (``kiosk/{id}/rating``).

Ratings come in bursts (a whole office's pads replaying their outboxes after an
outage), so a batch's ratings are not applied one message at a time: admission checks
each, then the valid ones are deduplicated and stored together with a few queries
(`server.services.ratings`), one by one only if another server stored some meanwhile.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from protocol.messages import DeskRating, VisitRating
from protocol.refusals import Reason
from protocol.topics import TopicKind
from server.ingest.admission import Admission, Inbound, check_size, decode_as
from server.ingest.batch import Outcome
from server.ingest.dedup import Dedup
from server.ingest.rejections import Refused, Rejections
from server.ratings.rules import RatingIn, RatingRefused
from server.services.ratings import RatingService

RATING_KINDS = (TopicKind.DESK_RATING, TopicKind.KIOSK_RATING)


class RatingHandlers:
    def __init__(
        self,
        admission: Admission,
        dedup: Dedup,
        rejections: Rejections,
        ratings: RatingService,
    ) -> None:
        self.admission = admission
        self.dedup = dedup
        self.rejections = rejections
        self.ratings = ratings

    def admit(self, item: Inbound) -> RatingIn | None:
        """A validated rating from a rating topic (sender checked), or ``None`` if
        ``item`` is not on a rating topic; `Refused` if it is not acceptable."""
        if item.kind not in RATING_KINDS:
            return None
        check_size(item)
        ident = item.ident
        if item.kind is TopicKind.KIOSK_RATING:
            visit = decode_as(VisitRating, item)
            self.admission.check_sender(visit.device_id, ident, "kiosk")
            return RatingIn(visit, None, item.received_at)
        rating = decode_as(DeskRating, item)
        self.admission.check_desk_pad(rating.device_id, ident)
        return RatingIn(rating, ident, item.received_at)

    def apply(self, s: Session, items: list[tuple[Inbound, RatingIn]], out: Outcome) -> None:
        """Store a batch of ratings with a few queries; one by one if the batch conflicts."""
        fresh: list[tuple[Inbound, RatingIn]] = []
        seen = self.dedup.seen_ids(s, [r.rating.msg_id for _, r in items])
        for item, r in items:
            if r.rating.msg_id in seen:
                self.rejections.reject(
                    out,
                    item,
                    Refused(Reason.DUPLICATE, f"msg_id {r.rating.msg_id} already processed"),
                )
            else:
                seen.add(r.rating.msg_id)
                fresh.append((item, r))
        if not fresh:
            return
        try:
            self._store(s, fresh, out)
        except IntegrityError:
            # Another server process stored some of these meanwhile: go one at a time.
            for pair in fresh:
                try:
                    self._store(s, [pair], out)
                except IntegrityError:
                    self.rejections.reject(
                        out,
                        pair[0],
                        Refused(Reason.DUPLICATE, "stored concurrently by another server"),
                    )

    def _store(self, s: Session, pairs: list[tuple[Inbound, RatingIn]], out: Outcome) -> None:
        """Check and store ``pairs`` in one savepoint; ``out`` hears of them only once it
        holds (a savepoint rolled back must leave no refusal or change behind)."""
        with s.begin_nested():
            stored = self.ratings.store(s, [r for _, r in pairs])
            self.dedup.record(
                s,
                (
                    {
                        "msg_id": r.rating.msg_id,
                        "kind": "rating",
                        "device_id": r.rating.device_id,
                        "received_at": item.received_at,
                        "response": None,
                    }
                    for (item, r), result in zip(pairs, stored.results, strict=True)
                    if not isinstance(result, RatingRefused)
                ),
            )
        for (item, _), result in zip(pairs, stored.results, strict=True):
            if isinstance(result, RatingRefused):
                self.rejections.reject(out, item, result)
        out.changes.merge(stored.changes)
