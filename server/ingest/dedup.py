"""Deduplication on ``msg_id``: QoS 1 redelivery and outbox replays have no effect.

Every applied message leaves a row in ``processed_messages``. A replayed ticket request
gets its original answer again (the row keeps it); anything else replayed is refused as
a duplicate and receipted. Two servers handling the same message (a failover) cannot
both apply it: the msg_id is claimed with ``INSERT … ON CONFLICT DO NOTHING`` before
anything is written, so the second one sees a duplicate instead of an error.

Separate from the handlers because the statements are dialect-specific (PostgreSQL and
SQLite spell the claim differently) and are built once per process, here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from protocol.refusals import Reason
from server.db.database import Database
from server.db.tables import ProcessedMessageRow
from server.ingest.batch import Outcome, SeenRow
from server.ingest.rejections import Refused

_PROCESSED = cast(Table, ProcessedMessageRow.__table__)
_P = _PROCESSED.c
_SEEN = select(_P.msg_id, _P.response).where(_P.msg_id == bindparam("msg_id"))
_SEEN_MANY = select(_P.msg_id, _P.response).where(_P.msg_id.in_(bindparam("ids", expanding=True)))
_STORE_RESPONSE = (
    update(_PROCESSED)
    .where(_P.msg_id == bindparam("b_msg_id"))
    .values(response=bindparam("b_response"))
)
#: msg_ids per ``IN (…)`` query.
_CHUNK = 500


class Dedup:
    def __init__(self, db: Database) -> None:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        self._claim = (
            dialect.insert(_PROCESSED)
            .on_conflict_do_nothing(index_elements=["msg_id"])
            .returning(_P.msg_id)
        )

    def prefetch(self, s: Session, msg_ids: list[uuid.UUID], out: Outcome) -> None:
        """Look up the msg_ids of a batch's ticket requests in one query per 500."""
        for k in range(0, len(msg_ids), _CHUNK):
            chunk = msg_ids[k : k + _CHUNK]
            found = {
                r.msg_id: SeenRow(r.msg_id, r.response)
                for r in s.execute(_SEEN_MANY, {"ids": chunk})
            }
            for msg_id in chunk:
                out.seen[msg_id] = found.get(msg_id)

    def seen(self, s: Session, msg_id: uuid.UUID, out: Outcome) -> SeenRow | None:
        """The processed-message row (msg_id, response) if this msg_id was applied."""
        if msg_id in out.seen:
            return out.seen[msg_id]
        row = s.execute(_SEEN, {"msg_id": msg_id}).first()
        return SeenRow(row.msg_id, row.response) if row is not None else None

    def seen_ids(self, s: Session, msg_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``msg_ids`` were applied already."""
        seen: set[uuid.UUID] = set()
        for k in range(0, len(msg_ids), _CHUNK):
            chunk = msg_ids[k : k + _CHUNK]
            seen.update(s.execute(select(_P.msg_id).where(_P.msg_id.in_(chunk))).scalars())
        return seen

    def claim(
        self, s: Session, msg_id: uuid.UUID, kind: str, device_id: str, received_at: datetime
    ) -> None:
        """Record the msg_id as processed before applying it. A concurrent server handling
        the same message makes this a no-op (refused as a duplicate) instead of an error,
        so nothing after it can fail on a duplicate."""
        claimed = s.execute(
            self._claim,
            {"msg_id": msg_id, "kind": kind, "device_id": device_id, "received_at": received_at},
        ).first()
        if claimed is None:
            raise Refused(Reason.DUPLICATE, f"msg_id {msg_id} is being processed by another server")

    def store_response(
        self, s: Session, msg_id: uuid.UUID, response: dict[str, Any], out: Outcome
    ) -> None:
        """Keep the answer to a ticket request, to send it again on a replay."""
        s.execute(_STORE_RESPONSE, {"b_msg_id": msg_id, "b_response": response})
        out.seen[msg_id] = SeenRow(msg_id, response)

    def record(self, s: Session, rows: Iterable[dict[str, Any]]) -> None:
        """Mark applied messages (``msg_id``, ``kind``, ``device_id``, ``received_at``,
        ``response``) as processed, in one statement."""
        rows = list(rows)
        if rows:
            s.execute(insert(_PROCESSED), rows)
