"""`Outcome`: what applying a batch of device messages produced, until it is committed.

Every handler adds to the batch's outcome: the replies to send, the refusals to record,
the changes to publish, and the per-batch caches (queue snapshots, msg_ids looked up).
It sits apart from the worker because the handlers, the rejections and the
deduplication all write into it, and none of them needs the worker.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from protocol.messages import Rejected
from server.queue.changes import Changes
from server.queue.estimates import QueueSnapshot


@dataclass(frozen=True)
class SeenRow:
    """A processed message: its msg_id, and the answer it got (ticket requests)."""

    msg_id: uuid.UUID
    response: dict[str, Any] | None


@dataclass
class Outcome:
    #: (topic, payload) of each answer to publish once the batch is committed.
    replies: list[tuple[str, bytes]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    #: Queue snapshots shared by the ticket requests of one batch (read once each).
    snapshots: dict[str, QueueSnapshot] = field(default_factory=dict)
    #: Ticket-request msg_ids of the batch looked up at once: the row, or None if new.
    seen: dict[uuid.UUID, SeenRow | None] = field(default_factory=dict)

    def merge(self, other: Outcome) -> None:
        self.replies += other.replies
        self.rejected += other.rejected
        self.changes.merge(other.changes)
