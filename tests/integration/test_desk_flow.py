"""A visit end to end over a real broker and database: kiosk → clerk → pad → stats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.db.tables import TicketRow
from server.queue.engine import QueueEngine
from server.runtime import ServerRuntime
from tests.support.devices import Watcher, device_link, rating, request_ticket, started
from tests.support.http import act, login
from tests.support.services import Broker


def test_visit_from_kiosk_to_rating_updates_desk_stats(
    server: ServerRuntime, broker: Broker, api: TestClient, tmp_path: Path
) -> None:
    site = server.config
    topics = site.topics
    watch = Watcher(site, broker, f"{topics.root}/#")
    kiosk = started(device_link(site, broker, "kiosk-1", tmp_path))
    pad = started(device_link(site, broker, "pad-q1", tmp_path))
    try:
        first = request_ticket(kiosk, "tp")
        second = request_ticket(kiosk, "tp", priority="nguoi_cao_tuoi")
        assert first.ok and first.ticket is not None and first.ticket.number == "A001"
        assert second.ok and second.ticket is not None and second.ticket.number == "A002"
        assert first.ticket.service_name == "Tư pháp – Hộ tịch"
        assert second.ticket.people_ahead == 0  # strict priority: nobody ahead of A002
        watch.wait_for(lambda t, d: t == topics.queue("tp") and d["waiting"] == 2)

        clerk = login(api, server, "lan", "clerk", "c01")
        assert act(api, clerk, "q1", "open").status_code == 200
        r = act(api, clerk, "q1", "call-next")
        assert r.status_code == 200, r.text
        assert r.json()["ticket"]["number"] == "A002"  # the priority ticket goes first
        _, call = watch.wait_for(lambda t, d: t == topics.board_call() and d["number"] == "A002")
        assert call["desk_name"] == "Quầy 1"
        assert act(api, clerk, "q1", "start").status_code == 200
        assert act(api, clerk, "q1", "done").status_code == 200

        # The pad learns from the retained desk state that A002 awaits a rating.
        _, state = watch.wait_for(
            lambda t, d: (
                t == topics.desk_state("q1")
                and (d.get("awaiting_rating") or {}).get("number") == "A002"
            )
        )
        assert state["clerk"]["name"] == "Nguyễn Thị Lan"
        pad.publish_event(
            topics.desk_rating("q1"),
            rating(
                "pad-q1",
                second.ticket.ticket_id,
                "dissatisfied",
                reasons=["xin_chao", "khong_tre_hen"],
            ),
        )
        _, stats = watch.wait_for(lambda t, d: t == topics.desk_stats("q1") and d["ratings"] == 1)
        assert stats["served"] == 1
        assert stats["satisfaction_pct"] == 0.0
        assert stats["response_rate_pct"] == 100.0
        assert stats["reasons"] == {"xin_chao": 1, "khong_tre_hen": 1}
        assert stats["levels"]["dissatisfied"] == 1
        watch.wait_for(
            lambda t, d: t == topics.desk_state("q1") and d.get("awaiting_rating") is None
        )

        boss = login(api, server, "giamsat", "supervisor")
        r = api.get(f"/api/sites/{site.site.code}/desks/stats", headers=boss)
        assert r.status_code == 200
        q1 = next(d for d in r.json()["desks"] if d["desk_id"] == "q1")
        assert (q1["ratings"], q1["served"], q1["reasons"]["khong_tre_hen"]) == (1, 1, 1)
        assert pad.outbox_depth() == 0
    finally:
        for link in (kiosk, pad):
            link.stop()
        watch.stop()


def test_a_failure_halfway_through_a_batch_leaves_no_ghost_ticket(
    server: ServerRuntime, broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ticket requests skip per-message savepoints; if something unexpected fails after
    the number was drawn, the whole batch is rolled back and redone message by message,
    so the number is neither lost (gap) nor left waiting with nobody holding it."""
    real_issue = QueueEngine.issue
    calls = {"n": 0}

    def flaky_issue(self: QueueEngine, *args: Any, **kwargs: Any) -> Any:
        result = real_issue(self, *args, **kwargs)  # writes the ticket, then fails
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated failure after the ticket was written")
        return result

    monkeypatch.setattr(QueueEngine, "issue", flaky_issue)
    kiosk = started(device_link(server.config, broker, "kiosk-1", tmp_path))
    try:
        first = request_ticket(kiosk, "tp")
        second = request_ticket(kiosk, "tp")
    finally:
        kiosk.stop()
    assert first.ok and second.ok
    assert (first.ticket.number, second.ticket.number) == ("A001", "A002")  # type: ignore[union-attr]
    with server.db.read() as s:
        numbers = sorted(s.scalars(select(TicketRow.number)))
    assert numbers == ["A001", "A002"]
