"""Administering accounts (issue 15, "Users"): `motcua user list|disable|enable|
reset-password|delete|audit` against the database of a running server, seen through its
real API (a disabled clerk cannot log in, with the same answer as a wrong password; a
reset password ends the old one and the sessions; the last admin stays), and the admin
API the accounts page uses (admins only, audit rows with the actor)."""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner, Result

from motcua.cli import app
from server.db.tables import AuditRow
from server.runtime import ServerRuntime
from tests.support.http import login
from tests.support.sites import write_site

PASSWORD = "Mat-khau-rat-dai-2025"
NEW_PASSWORD = "Mat-khau-moi-2026-xyz"
ACTOR = "cli:" + getpass.getuser()
#: An endpoint any clerk may call: 401 once the token is dead.
CLERK_GET = "/api/sites/gialoc/desks/q1/last-visit"


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    """The commands make this process's files private (umask 077): not the next tests'."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


@pytest.fixture
def site_file(tmp_path: Path, server: ServerRuntime, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The site YAML of the running server (the same database)."""
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    return write_site(tmp_path / "site.yaml", server={"database_url": server.db.url})


def _cli(site_file: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["user", *args, "--config", str(site_file)], input=stdin)


def _add(site_file: Path, username: str, *options: str) -> None:
    r = _cli(site_file, "add", username, *options, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.exit_code == 0, r.output


def _login(api: TestClient, username: str, password: str = PASSWORD) -> tuple[int, dict]:
    r = api.post("/api/login", json={"username": username, "password": password})
    return r.status_code, r.json()


def _bearer(api: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    status, body = _login(api, username, password)
    assert status == 200, body
    return {"Authorization": f"Bearer {body['token']}"}


def test_disable_refuses_the_log_in_like_a_wrong_password_and_enable_restores_it(
    api: TestClient, site_file: Path
) -> None:
    _add(site_file, "lan", "--role", "clerk", "--clerk", "c01")
    session = _bearer(api, "lan")
    assert api.get(CLERK_GET, headers=session).status_code != 401

    r = _cli(site_file, "disable", "lan")
    assert r.exit_code == 0, r.output
    assert "đã khoá / disabled lan" in r.stdout and "1" in r.stdout
    assert api.get(CLERK_GET, headers=session).status_code == 401, "the session ended"
    disabled = _login(api, "lan")
    wrong = _login(api, "lan-khong-co")  # an account that does not exist
    assert disabled[0] == wrong[0] == 401
    assert disabled[1] == wrong[1], "nothing tells a disabled account from a missing one"

    listed = _cli(site_file, "list")
    assert listed.exit_code == 0, listed.output
    (line,) = [x for x in listed.stdout.splitlines() if x.startswith("lan ")]
    assert "c01" in line and "disabled" in line
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", line), line

    assert _cli(site_file, "enable", "lan").exit_code == 0
    assert _cli(site_file, "board-token", "tv-sanh").exit_code == 0
    assert _cli(site_file, "disable", "tv-sanh").exit_code == 0
    no_token = _cli(site_file, "board-token", "tv-sanh")
    assert no_token.exit_code == 2 and "đang bị khoá" in no_token.stderr
    _bearer(api, "lan")  # logs in again
    assert "disabled" not in next(
        x for x in _cli(site_file, "list").stdout.splitlines() if x.startswith("lan ")
    )


def test_reset_password_ends_the_old_one_and_the_sessions(api: TestClient, site_file: Path) -> None:
    _add(site_file, "giamsat", "--role", "supervisor")
    session = _bearer(api, "giamsat")
    r = _cli(site_file, "reset-password", "giamsat", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert api.get("/api/sites/gialoc/desks/stats", headers=session).status_code == 401
    assert _login(api, "giamsat")[0] == 401
    _bearer(api, "giamsat", NEW_PASSWORD)

    generated = _cli(site_file, "reset-password", "giamsat", "--generate")
    assert generated.exit_code == 0, generated.output
    password = generated.stdout.strip()
    assert len(password) >= 10 and "\n" not in password
    assert _login(api, "giamsat", NEW_PASSWORD)[0] == 401
    _bearer(api, "giamsat", password)

    short = _cli(site_file, "reset-password", "giamsat", "--password-stdin", stdin="ngan\n")
    assert short.exit_code == 2 and "ít nhất 10 ký tự" in short.stderr


def test_the_last_admin_can_be_neither_deleted_nor_disabled(
    api: TestClient, site_file: Path
) -> None:
    _add(site_file, "admin", "--role", "admin")
    for command in (("delete", "admin", "--yes"), ("disable", "admin")):
        refused = _cli(site_file, *command)
        assert refused.exit_code == 2, refused.output
        assert "quản trị viên cuối cùng" in refused.stderr and "last admin" in refused.stderr
    _bearer(api, "admin")

    _add(site_file, "admin2", "--role", "admin")
    not_confirmed = _cli(site_file, "delete", "admin", stdin="n\n")
    assert not_confirmed.exit_code == 1
    assert _cli(site_file, "delete", "admin", "--yes").exit_code == 0
    assert _login(api, "admin")[0] == 401
    names = [line.split()[0] for line in _cli(site_file, "list").stdout.splitlines()[1:]]
    assert names == ["admin2"]
    missing = _cli(site_file, "disable", "nobody")
    assert missing.exit_code == 2 and "không có tài khoản nobody" in missing.stderr


def test_every_change_is_in_the_audit_log_with_its_actor(
    server: ServerRuntime, site_file: Path
) -> None:
    _add(site_file, "lan", "--role", "clerk", "--clerk", "c01")
    _add(site_file, "admin", "--role", "admin")
    for command in (
        ("disable", "lan"),
        ("enable", "lan"),
        ("reset-password", "lan", "--generate"),
        ("revoke", "lan"),
        ("board-token", "tv-sanh"),
        ("delete", "lan", "--yes"),
    ):
        assert _cli(site_file, *command).exit_code == 0, command
    with server.db.read() as s:
        rows = [(r.actor, r.action, r.target) for r in s.scalars(select(AuditRow))]
    assert rows == [
        (ACTOR, "add", "lan"),
        (ACTOR, "add", "admin"),
        (ACTOR, "disable", "lan"),
        (ACTOR, "enable", "lan"),
        (ACTOR, "reset_password", "lan"),
        (ACTOR, "revoke", "lan"),
        (ACTOR, "board_token", "tv-sanh"),
        (ACTOR, "delete", "lan"),
    ]
    audit = _cli(site_file, "audit", "--limit", "3")
    assert audit.exit_code == 0, audit.output
    lines = audit.stdout.splitlines()
    assert len(lines) == 3
    assert ACTOR in lines[0] and "delete" in lines[0] and "lan" in lines[0], "newest first"
    assert re.match(r"\d\d/\d\d/\d{4} \d\d:\d\d ", lines[0])
    with server.db.read() as s:  # never a password in the log
        details = " ".join(r.detail for r in s.scalars(select(AuditRow)))
    assert PASSWORD not in details and "password=generated" in details


# ----------------------------------------------------------------------------- the API


def test_the_accounts_api_is_for_admins_and_records_the_admin(
    api: TestClient, server: ServerRuntime
) -> None:
    admin = login(api, server, "admin", "admin")
    supervisor = login(api, server, "giamsat", "supervisor")
    clerk = login(api, server, "lan", "clerk", "c01")
    for headers in (supervisor, clerk):
        assert api.get("/api/users", headers=headers).status_code == 403
        assert api.get("/api/audit", headers=headers).status_code == 403
        r = api.post("/api/users/lan/disable", headers=headers)
        assert r.status_code == 403 and r.json()["detail"]["code"] == "forbidden"

    made = api.post(
        "/api/users", json={"username": "Hung", "role": "clerk", "clerk_id": "c02"}, headers=admin
    )
    assert made.status_code == 201, made.text
    generated = made.json()["password"]
    assert made.json()["username"] == "hung" and len(generated) >= 10
    _bearer(api, "hung", generated)

    r = api.post("/api/users/lan/disable", headers=admin)
    assert r.status_code == 200 and r.json()["sessions_ended"] == 1
    assert api.get(CLERK_GET, headers=clerk).status_code == 401
    users = {u["username"]: u for u in api.get("/api/users", headers=admin).json()["users"]}
    assert users["lan"]["active"] is False and users["lan"]["disabled_at"]
    assert users["hung"]["last_login_at"] and users["hung"]["clerk_id"] == "c02"

    reset = api.post("/api/users/hung/reset-password", json={}, headers=admin)
    assert reset.status_code == 200 and reset.json()["password"] not in (None, generated)
    given = api.post(
        "/api/users/hung/reset-password", json={"password": NEW_PASSWORD}, headers=admin
    )
    assert given.status_code == 200 and given.json()["password"] is None
    _bearer(api, "hung", NEW_PASSWORD)

    own = api.post("/api/users/admin/disable", headers=admin)
    assert own.status_code == 409 and "chính tài khoản" in own.json()["detail"]["message"]
    assert api.post("/api/users/nobody/delete", headers=admin).status_code == 404
    dup = api.post("/api/users", json={"username": "lan", "role": "admin"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["detail"]["message_en"] == "user lan exists"
    bad = api.post("/api/users", json={"username": "x", "role": "admin", "extra": 1}, headers=admin)
    assert bad.status_code == 422
    assert api.post("/api/users/hung/delete", headers=admin).status_code == 200

    page = api.get("/api/audit", params={"limit": 2}, headers=admin).json()
    assert page["total"] == 5
    assert [(e["actor"], e["action"], e["target"]) for e in page["entries"]] == [
        ("admin", "delete", "hung"),
        ("admin", "reset_password", "hung"),
    ]
    older = api.get("/api/audit", params={"limit": 2, "offset": 4}, headers=admin).json()
    assert [(e["action"], e["target"]) for e in older["entries"]] == [("add", "hung")]
