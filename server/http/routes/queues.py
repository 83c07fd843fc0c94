"""``GET /api/sites/{site}/queues`` and ``…/desks``: the live state of the queues and
the desks, as the board and the consoles show it (public: no personal data)."""

from __future__ import annotations

from fastapi import APIRouter

from protocol.messages import DeskState, QueueState
from server.http.deps import Config, Db, Engine, check_site
from server.readmodels.desk_state import desk_state
from server.readmodels.queue_state import queue_state

router = APIRouter(prefix="/api")


@router.get("/sites/{site}/queues")
def queues(site: str, config: Config, db: Db, engine: Engine) -> list[QueueState]:
    """Live queue per service (public: no personal data)."""
    check_site(config, site)
    with db.read() as s:
        return [queue_state(engine, s, svc.code) for svc in config.services]


@router.get("/sites/{site}/desks")
def desks(site: str, config: Config, db: Db, engine: Engine) -> list[DeskState]:
    check_site(config, site)
    with db.read() as s:
        return [desk_state(engine, s, d.id) for d in config.desks]
