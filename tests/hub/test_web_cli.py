"""``motcua hub user-add`` and ``motcua hub web`` as an operator runs them: an account
for every office and one for a single office (which must be an office the hub knows),
then the pages served by the real command, migrations run at its start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from motcua.cli import app
from server.db.database import Database
from server.db.tables import UserRow
from tests.hub.conftest import HubWeb
from tests.hub.test_web_access import login
from tests.hub.web_data import add_office
from tests.support.http import PASSWORD
from tests.support.processes import interrupt
from tests.support.services import create_pg_database, free_port
from tests.support.waiting import eventually

MOTCUA = str(Path(sys.executable).with_name("motcua"))
ROOT = Path(__file__).resolve().parents[2]


def hub_yaml(tmp_path: Path, url: str, port: int = 8090) -> Path:
    path = tmp_path / "hub.yaml"
    data = {
        "name": "Tỉnh Hải Dương",
        "database_url": url,
        "http": {"host": "127.0.0.1", "port": port},
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def user_add(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        ["hub", "user-add", *args, "--password-env", "HUB_PW", "--config", str(config)],
        env={"HUB_PW": PASSWORD},
    )
    return result.exit_code, result.output


def test_user_add_for_every_office_or_one_known_office(hub_web: HubWeb, tmp_path: Path) -> None:
    add_office(hub_web.db, "gialoc", "Xã Gia Lộc", "Cụm Gia Lộc")
    config = hub_yaml(tmp_path, hub_web.db.url)
    assert user_add(config, "tinh", "--role", "supervisor")[0] == 0
    code, out = user_add(config, "gs-gialoc", "--role", "supervisor", "--office", "gialoc")
    assert code == 0, out
    code, out = user_add(config, "gs-nowhere", "--role", "supervisor", "--office", "nowhere")
    assert code == 2
    assert "trung tâm chưa có đơn vị nowhere (đã có: gialoc)" in out
    assert "the hub has no office nowhere" in out
    code, out = user_add(config, "lan", "--role", "clerk")
    assert code == 2 and "supervisor hoặc admin" in out
    with hub_web.db.read() as s:
        rows = {r.username: r.site for r in s.scalars(select(UserRow))}
    assert rows == {"tinh": None, "gs-gialoc": "gialoc"}

    scoped = login(hub_web.url, "gs-gialoc")
    assert [o["code"] for o in scoped.get("/api/overview").json()["offices"]] == ["gialoc"]


def test_user_add_without_the_password_variable_says_so(tmp_path: Path) -> None:
    config = hub_yaml(tmp_path, "postgresql://127.0.0.1:1/none")
    result = CliRunner().invoke(
        app,
        [
            "hub",
            "user-add",
            "tinh",
            "--role",
            "admin",
            "--password-env",
            "NOPE_PW",
            "--config",
            str(config),
        ],
        env={"NOPE_PW": ""},
    )
    assert result.exit_code == 2
    assert "NOPE_PW" in result.output


@pytest.mark.slow
def test_hub_web_migrates_and_serves(tmp_path: Path) -> None:
    pg = create_pg_database()
    try:
        port = free_port()
        config = hub_yaml(tmp_path, pg.url, port=8090)
        proc = subprocess.Popen(
            [MOTCUA, "hub", "web", "--config", str(config), "--port", str(port)],
            # the source tree first: a venv installed before `hub` existed maps only the
            # packages it knew then
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"

            def answers() -> bool:
                if proc.poll() is not None:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"motcua hub web exited: {out}")
                try:
                    return httpx.get(url + "/api/health", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            eventually(answers, "motcua hub web to answer", 60)
            db = Database(pg.url)
            try:
                add_office(db, "gialoc", "Xã Gia Lộc", "Cụm Gia Lộc")
            finally:
                db.dispose()
            assert user_add(config, "tinh", "--role", "admin")[0] == 0
            client = login(url, "tinh")
            assert client.get("/").status_code == 200
            assert [o["code"] for o in client.get("/api/overview").json()["offices"]] == ["gialoc"]
        finally:
            interrupt(proc)
    finally:
        pg.drop()
