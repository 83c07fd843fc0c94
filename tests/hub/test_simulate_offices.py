"""``motcua simulate offices`` against a real hub: its Mosquitto (TLS on the offices'
listener), two ``motcua hub`` workers and a fresh PostgreSQL database. Three simulated
offices, an hour and a half of a morning at ×900: every fact each office sent lands in
the hub's tables under that office, receipted, none refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.db.tables import DeskEventRow, OfficeRow, RatingRow, RejectedMessageRow, TicketEventRow
from tests.support.hub import ROOT, Hub, make_hub
from tests.support.services import create_pg_database


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    pg = create_pg_database()
    rig = make_hub(tmp_path / "hub", pg, batch_wait_ms=20)
    try:
        yield rig
    finally:
        rig.stop()
        pg.drop()


def _counts(hub: Hub) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with hub.db.read() as s:
        for name, row in (
            ("ticket_events", TicketEventRow),
            ("ratings", RatingRow),
            ("desk_events", DeskEventRow),
        ):
            q = select(row.site, func.count()).group_by(row.site)
            for site, n in s.execute(q).all():
                out.setdefault(site, {})[name] = n
    return out


def test_simulated_offices_land_in_the_hub_per_office(hub: Hub) -> None:
    hub.start_broker()
    assert hub.broker is not None
    hub.start_worker("w1")
    hub.start_worker("w2")
    done = subprocess.run(
        [
            sys.executable, "-m", "motcua.cli", "simulate", "offices",
            "--hub-config", str(hub.config_file),
            "--broker-dir", str(hub.broker_dir),
            "--broker-pid", str(hub.broker.pid),
            "--offices", "3", "--hours", "1.5", "--speed", "900",
            "--start", "07:30", "--day", "2026-03-10", "--seed", "7",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "3 đơn vị / offices" in out
    assert "chưa / waiting 0" in out, out
    sent = int(out.split("đã gửi / sent ")[1].split(" ")[0])
    assert sent > 100, out

    counts = _counts(hub)
    assert sorted(counts) == ["sim-001", "sim-002", "sim-003"]
    # every office forwarded ticket events and desk sessions; ratings follow services
    assert all(
        c.get("ticket_events", 0) > 10 and c.get("desk_events", 0) > 0 for c in counts.values()
    )
    assert sum(n for c in counts.values() for n in c.values()) == sent
    assert sum(c.get("ratings", 0) for c in counts.values()) > 0
    with hub.db.read() as s:
        refused = s.scalars(select(RejectedMessageRow)).all()
        assert not refused, [(r.topic, r.reason, r.detail) for r in refused]
        # each office's pulse reached the hub: its configuration under its own code
        rows = {r.code: r for r in s.scalars(select(OfficeRow))}
    for code in ("sim-001", "sim-002", "sim-003"):
        config = rows[code].config
        assert config is not None and config["site"]["code"] == code
