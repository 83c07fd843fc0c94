"""Storing citizens' ratings: the rules applied to a batch, and what to publish.

The rules (`server.ratings.rules`) decide which ratings count and store them. This use
case adds what the rest of the server must hear of a stored rating: the desk's
statistics and state (its pad stops asking) and the dashboard's live stream of ratings.
It works in the caller's transaction: the MQTT ingest stores a batch of ratings inside
a savepoint, and must learn of the changes only once that savepoint holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from server.config import SiteConfig
from server.queue.changes import Changes
from server.ratings import rules
from server.ratings.rules import RatingIn, RatingRefused


@dataclass
class StoredRatings:
    #: Per rating, in the order given: the stored row's values, or why it was refused.
    results: list[dict[str, Any] | RatingRefused]
    #: What the stored ratings changed, to publish once the transaction commits.
    changes: Changes = field(default_factory=Changes)


class RatingService:
    def __init__(self, config: SiteConfig) -> None:
        self.config = config

    def store(self, s: Session, items: Sequence[RatingIn]) -> StoredRatings:
        """Check and store ``items`` with a handful of queries (in ``s``'s transaction)."""
        out = StoredRatings(rules.apply_ratings(s, self.config, items))
        for result in out.results:
            if not isinstance(result, RatingRefused):
                out.changes.stats.add(result["desk_id"])
                out.changes.ratings.append(result["ticket_id"])
                out.changes.desks.add(result["desk_id"])
        return out
