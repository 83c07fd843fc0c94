"""The unit of work every use case runs in: a write session and the `Changes` it makes.

Separate from the services themselves because two kinds of caller share it: an HTTP use
case opens one `transaction` of its own, while the MQTT ingest applies a whole batch of
messages in one transaction (a savepoint each) and hands every handler the batch's
`Unit`. Either way the rule is the same: the changes reach the publisher only after the
commit, so a rolled-back action never shows on a screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from server.db.database import Database
from server.queue.changes import Changes


class Publisher(Protocol):
    """Where committed changes go (`server.publisher.StatePublisher`)."""

    def submit(self, changes: Changes) -> None: ...


@dataclass
class Unit:
    """An open write transaction and what it has changed so far."""

    session: Session
    changes: Changes = field(default_factory=Changes)


@contextmanager
def transaction(db: Database, publisher: Publisher) -> Iterator[Unit]:
    """A write transaction; its changes are published once it has committed. An
    exception rolls it back and publishes nothing."""
    with db.write() as s:
        unit = Unit(s)
        yield unit
    publisher.submit(unit.changes)
