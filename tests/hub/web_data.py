"""A small province for the hub's page tests: offices in two groups, written straight
into the hub's tables (the forwarding itself is tested elsewhere) — office rows with the
configuration and pulse an office sends, today's tickets, desks and ratings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from protocol.codes import TicketState
from server.auth.users import add_user
from server.config import SiteConfig, parse_site_config
from server.db.database import Database
from server.db.tables import DeskRow, OfficeRow, RatingRow, TicketRow, UserRow
from server.timeutil import local_day, now_utc
from server.uplink.pulse import secretless
from tests.support.http import PASSWORD
from tests.support.sites import site_data

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def office_config(code: str, name: str) -> SiteConfig:
    data = site_data()
    data["site"] = {**data["site"], "code": code, "name": name}
    return parse_site_config(data, code)


def add_office(
    db: Database,
    code: str,
    name: str,
    group: str,
    *,
    seen_ago_s: float | None = 5,
    link_up: bool | None = True,
    alerts: list[dict[str, str]] | None = None,
    backlog: dict[str, int] | None = None,
    devices: list[dict[str, Any]] | None = None,
) -> SiteConfig:
    """An office the hub hears from (``seen_ago_s`` None: never heard from)."""
    cfg = office_config(code, name)
    now = now_utc()
    seen = now - timedelta(seconds=seen_ago_s) if seen_ago_s is not None else None
    pulse = {
        "site": code,
        "alerts": alerts or [],
        "backlog": backlog or {},
        "devices": devices or [],
    }
    with db.write() as s:
        s.add(
            OfficeRow(
                code=code,
                name=name,
                group_name=group,
                created_at=now,
                config=secretless(cfg) if seen else None,
                pulse=pulse if seen else None,
                pulse_at=seen,
                link_up=link_up if seen else None,
                link_at=seen,
                fact_at=seen,
            )
        )
    return cfg


@dataclass
class Visits:
    """Today's tickets of one office, as the hub stores them."""

    db: Database
    site: str
    seq: int = 0

    def ticket(
        self,
        state: TicketState,
        *,
        service: str = "tp",
        desk: str | None = None,
        clerk: str | None = None,
        minutes_ago: float = 30,
    ) -> TicketRow:
        self.seq += 1
        now = now_utc()
        issued = now - timedelta(minutes=minutes_ago)
        in_hand = state in (TicketState.CALLED, TicketState.SERVING, TicketState.DONE)
        row = TicketRow(
            id=uuid.uuid4(),
            site=self.site,
            service=service,
            day=local_day(now, TZ),
            seq=self.seq,
            number=f"A{self.seq:03d}",
            state=state,
            issued_at=issued,
            first_called_at=issued + timedelta(minutes=5) if in_hand else None,
            called_at=issued + timedelta(minutes=5) if in_hand else None,
            started_at=issued + timedelta(minutes=6) if in_hand else None,
            ended_at=issued + timedelta(minutes=12) if state == TicketState.DONE else None,
            desk_id=desk,
            clerk_id=clerk,
            recall_count=0,
            offline=False,
            origin_version=self.seq,
        )
        with self.db.write() as s:
            s.add(row)
        return row

    def rating(
        self,
        ticket: TicketRow,
        level: str,
        praised: list[str] | None = None,
        reasons: list[str] | None = None,
    ) -> None:
        now = now_utc()
        with self.db.write() as s:
            s.add(
                RatingRow(
                    msg_id=uuid.uuid4(),
                    ticket_id=ticket.id,
                    site=self.site,
                    day=local_day(now, TZ),
                    desk_id=ticket.desk_id or "q1",
                    clerk_id=ticket.clerk_id,
                    service=ticket.service,
                    level_raw=level,
                    level=level,
                    praised=praised or [],
                    reasons=reasons or [],
                    partial=False,
                    source="pad",
                    device_id="pad-q1",
                    sent_at=now,
                    received_at=now,
                )
            )

    def desk(self, desk_id: str, clerk: str | None, ticket: TicketRow | None = None) -> None:
        with self.db.write() as s:
            s.add(
                DeskRow(
                    site=self.site,
                    desk_id=desk_id,
                    open=True,
                    paused=False,
                    clerk_id=clerk,
                    ticket_id=ticket.id if ticket else None,
                    updated_at=now_utc(),
                )
            )


def add_account(
    db: Database, config: SiteConfig, username: str, role: str, site: str | None
) -> None:
    with db.write() as s:
        add_user(s, config, username, PASSWORD, role)
        row = s.scalar(select(UserRow).where(UserRow.username == username))
        assert row is not None
        row.site = site


def served_and_rated(v: Visits, served: int, satisfied: int, dissatisfied: int) -> None:
    """``served`` done tickets, the first ``satisfied + dissatisfied`` of them rated."""
    levels = ["satisfied"] * satisfied + ["dissatisfied"] * dissatisfied
    for i in range(served):
        t = v.ticket(TicketState.DONE, desk="q1", clerk="c01", minutes_ago=60 + i)
        if i < len(levels):
            v.rating(t, levels[i], reasons=["khong_tre_hen"] if levels[i] == "dissatisfied" else [])


def at(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
