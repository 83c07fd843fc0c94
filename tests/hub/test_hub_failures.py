"""What the hub does with bad input and in each failure (docs/hub.md "Failures"), on a
real hub: Mosquitto with the files `motcua hub` writes (TLS on the offices' listener),
``motcua hub`` worker processes, PostgreSQL.

* an office writes only its own site's facts: the hub broker refuses another's;
* a message that is not a fact is recorded, acknowledged and dropped; the facts after it
  are stored (one poison message never stalls a worker);
* the hub database goes away: the worker keeps its batch unacknowledged and stores it
  when the database is back;
* ``motcua hub add-office`` gives an office its account and its YAML lines.

The hub broker's restart is in tests/hub/test_hub_forwarding.py (it needs real offices:
their forwarders send again what no receipt came for).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select

from server.db.tables import OfficeRow, RejectedMessageRow, TicketEventRow
from tests.support.hub import (
    ROOT,
    Hub,
    make_hub,
    office_client,
    sample_fact,
    worker_client,
)
from tests.support.services import PG_ADMIN_URL, create_pg_database, wait_port
from tests.support.waiting import eventually

WAIT_S = 60.0


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    pg = create_pg_database()
    rig = make_hub(tmp_path / "hub", pg, batch_wait_ms=20)
    try:
        rig.add_office("xa-an", "UBND xã An", "Cụm Bắc")
        rig.add_office("xa-binh", "UBND xã Bình", "Cụm Nam")
        rig.start_broker()
        yield rig
    finally:
        rig.stop()
        pg.drop()


def _stored(hub: Hub, site: str) -> set[int]:
    with hub.db.read() as s:
        q = select(TicketEventRow.origin_id).where(TicketEventRow.site == site)
        return {i for i in s.scalars(q) if i is not None}


def _rejected(hub: Hub) -> list[tuple[str, str, str]]:
    with hub.db.read() as s:
        return [(r.topic, r.reason, r.detail) for r in s.scalars(select(RejectedMessageRow))]


def _topic(hub: Hub, site: str) -> str:
    return f"{hub.config.broker.prefix}/{site}/hub/facts"


def test_an_office_writes_only_its_own_facts(hub: Hub) -> None:
    watcher, got = worker_client(hub)
    office_a = office_client(hub, "xa-an")
    try:
        # A publishes as B: the broker's ACL drops it; A's own fact, sent after, arrives
        office_a.publish(_topic(hub, "xa-binh"), sample_fact("xa-binh", 1).to_json(), qos=1)
        office_a.publish(_topic(hub, "xa-an"), sample_fact("xa-an", 2).to_json(), qos=1)
        eventually(lambda: any(m.topic == _topic(hub, "xa-an") for m in got), timeout=WAIT_S)
        assert [m.topic for m in got] == [_topic(hub, "xa-an")]
    finally:
        office_a.loop_stop()
        office_a.disconnect()
        watcher.loop_stop()
        watcher.disconnect()
    # a wrong password is refused at log-in
    with pytest.raises(AssertionError, match="could not log in"):
        office_client(hub, "xa-an", password="not-the-password")


def test_a_poison_message_is_recorded_and_the_facts_after_it_stored(hub: Hub) -> None:
    hub.start_worker("w1")
    office_a = office_client(hub, "xa-an")
    try:
        eventually(lambda: "MQTT connected" in hub.worker_log("w1"), timeout=WAIT_S)
        topic = _topic(hub, "xa-an")
        office_a.publish(topic, b"{not json", qos=1)
        office_a.publish(topic, sample_fact("xa-binh", 5).to_json(), qos=1)  # another site's
        office_a.publish(topic, b'{"schema": 1, "site": "xa-an"}', qos=1)
        for i in range(1, 4):
            office_a.publish(topic, sample_fact("xa-an", i).to_json(), qos=1)
        eventually(lambda: _stored(hub, "xa-an") == {1, 2, 3}, timeout=WAIT_S)
        refused = eventually(lambda: len(r := _rejected(hub)) == 3 and r, timeout=WAIT_S)
        reasons = sorted(reason for _t, reason, _d in refused)
        assert reasons == ["bad_json", "invalid", "invalid"]
        assert any("'xa-binh' in a message on site 'xa-an'" in d for _t, _r, d in refused)
        assert _stored(hub, "xa-binh") == set()
        assert hub.workers["w1"].poll() is None, "the worker is still running"
    finally:
        office_a.loop_stop()
        office_a.disconnect()


def _connections(dbname: str, allow: bool) -> None:
    """Let nobody (or everybody again) connect to ``dbname``, and drop who is connected:
    the hub database is gone, as far as the workers can tell."""
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS {str(allow).lower()}')
        if not allow:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (dbname,),
            )


def test_the_hub_database_goes_away_and_comes_back(hub: Hub) -> None:
    hub.start_worker("w1")
    office_a = office_client(hub, "xa-an")
    try:
        eventually(lambda: "MQTT connected" in hub.worker_log("w1"), timeout=WAIT_S)
        topic = _topic(hub, "xa-an")
        office_a.publish(topic, sample_fact("xa-an", 1).to_json(), qos=1)
        eventually(lambda: _stored(hub, "xa-an") == {1}, timeout=WAIT_S)
        hub.db.dispose()
        _connections(hub.pg.name, allow=False)
        for i in range(2, 6):
            office_a.publish(topic, sample_fact("xa-an", i).to_json(), qos=1)
        eventually(lambda: "batch tried again" in hub.worker_log("w1"), timeout=WAIT_S)
        assert hub.workers["w1"].poll() is None, "the worker waits for its database, alive"
        _connections(hub.pg.name, allow=True)
        eventually(lambda: _stored(hub, "xa-an") == {1, 2, 3, 4, 5}, timeout=WAIT_S)
        # every fact once, none refused while the database was away
        with hub.db.read() as s:
            q = select(func.count()).select_from(TicketEventRow)
            assert s.scalar(q.where(TicketEventRow.site == "xa-an")) == 5
        assert _rejected(hub) == []
    finally:
        _connections(hub.pg.name, allow=True)
        office_a.loop_stop()
        office_a.disconnect()


def test_add_office_prints_the_site_yaml_lines(hub: Hub) -> None:
    import os

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "motcua.cli",
            "hub",
            "add-office",
            "xa-moi",
            "--config",
            str(hub.config_file),
            "--name",
            "UBND xã Mới",
            "--group",
            "Cụm Bắc",
            "--out",
            str(hub.broker_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "hub:" in lines
    assert "  username: office-xa-moi" in lines
    assert "  port: " + str(hub.config.broker.wan.port) in lines
    assert any(line.startswith("  ca_file: ") for line in lines)
    password = next(line.split("=", 1)[1] for line in lines if "MOTCUA_HUB_PASSWORD=" in line)
    passwd = (hub.broker_dir / "passwd").read_text()
    assert "office-xa-moi:$7$" in passwd and password not in passwd
    acl = (hub.broker_dir / "acl").read_text()
    assert "user office-xa-moi\ntopic write motcua/v1/xa-moi/hub/facts" in acl
    with hub.db.read() as s:
        row = s.get(OfficeRow, "xa-moi")
        assert row is not None and row.name == "UBND xã Mới" and row.group_name == "Cụm Bắc"
        assert s.scalar(select(func.count()).select_from(OfficeRow)) == 3
    # the new office logs in once the broker has read its files again
    assert hub.broker is not None
    hub.broker.send_signal(1)
    from hub.accounts import OfficeAccount

    hub.accounts["xa-moi"] = OfficeAccount(
        "xa-moi", "office-xa-moi", password, hub.accounts["xa-an"].files
    )
    client = eventually(lambda: office_client(hub, "xa-moi"), timeout=WAIT_S)
    client.loop_stop()
    client.disconnect()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "motcua.cli",
            "hub",
            "add-office",
            "Xã Sai",
            "--config",
            str(hub.config_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "invalid office code" in bad.stderr
    wait_port(hub.config.broker.port)


def test_server_check_names_a_missing_hub_password(hub: Hub, tmp_path: Path) -> None:
    import os

    import yaml

    from tests.support.sites import site_data

    data = site_data(
        site={"code": "xa-an", "name": "UBND xã An"},
        hub={
            "host": "127.0.0.1",
            "port": hub.config.broker.wan.port,
            "username": "office-xa-an",
            "password_env": "MOTCUA_HUB_PASSWORD_UNSET",
            "ca_file": str(tmp_path / "nope.crt"),
        },
    )
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "MOTCUA_HUB_PASSWORD_UNSET"}
    out = subprocess.run(
        [sys.executable, "-m", "motcua.cli", "server", "--check", "--config", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 2
    assert "MOTCUA_HUB_PASSWORD_UNSET chưa đặt / is not set" in out.stderr
    assert "nope.crt: không đọc được / cannot be read" in out.stderr
