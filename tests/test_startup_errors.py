"""Start-up errors people can read (issue 15): a wrong database URL, a misspelt key, a bad
device entry or a wrong broker password each say in one or two lines, Vietnamese then
English, what is wrong, where, and what to do; a traceback only with ``--debug``."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
import yaml

from motcua import errors
from tests.support.services import (
    PG_ADMIN_URL,
    MosquittoBroker,
    free_port,
    start_mosquitto,
    unavailable,
)
from tests.support.sites import EXAMPLE, make_site, site_data
from tests.support.waiting import eventually

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    return {**env, **extra}


def _run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MOTCUA, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env or _env(),
    )


def _vietnamese(line: str) -> bool:
    return unicodedata.is_normalized("NFC", line) and any(ord(c) > 127 for c in line)


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the database URL

#: (case, URL, what the message must say, in English)
BAD_URLS = [
    pytest.param(
        "postgresql://nobody:s3cret@127.0.0.1:1/motcua",
        "PostgreSQL does not answer at 127.0.0.1:1",
        id="nothing-listens",
    ),
    pytest.param(
        "postgresq://motcua@127.0.0.1/motcua",
        "did you mean postgresql?",
        id="misspelt-kind",
    ),
    pytest.param("postgresql:/motcua", "does not parse", id="not-a-url"),
]

COMMANDS = [
    pytest.param(("server",), id="server"),
    pytest.param(("db", "upgrade"), id="db-upgrade"),
    pytest.param(("db", "status"), id="db-status"),
]


def _assert_two_clear_lines(stderr: str, url_shown: str, said: str, fix: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) <= 2, stderr
    assert "Traceback" not in stderr
    vi, en = lines
    assert _vietnamese(vi) and vi.startswith("Lỗi cơ sở dữ liệu"), vi
    assert en.startswith("Database error") and said in en, en
    assert url_shown in vi and url_shown in en
    assert "s3cret" not in stderr  # the password is masked
    assert fix in en, en


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("url", "said"), BAD_URLS)
def test_a_wrong_database_url_is_two_lines_naming_it_and_where_it_was_set(
    tmp_path: Path, command: tuple[str, ...], url: str, said: str
) -> None:
    data = site_data()
    data["server"]["database_url"] = url
    site = _write(tmp_path / "site.yaml", data)
    args = [*command, "--config", str(site)]
    if command == ("server",):
        args += ["--http-port", str(free_port())]
    r = _run(*args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    _assert_two_clear_lines(
        r.stderr, url.replace("s3cret", "***"), said, f"server.database_url in {site}"
    )


def test_check_catches_a_misspelt_database_kind_without_connecting(tmp_path: Path) -> None:
    r = _run(
        "server", "--config", str(EXAMPLE), "--check",
        "--database-url", "postgresq://motcua@127.0.0.1/motcua",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 2
    _assert_two_clear_lines(
        r.stderr, "postgresq://motcua@127.0.0.1/motcua", "did you mean postgresql?",
        "Fix --database-url",
    )  # fmt: skip


def test_a_sqlite_file_that_cannot_be_made_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database's folder should be\n")
    url = f"sqlite:///{blocker}/motcua.db"
    r = _run("db", "upgrade", "--config", str(EXAMPLE), "--database-url", url, cwd=tmp_path)
    assert r.returncode == 2
    _assert_two_clear_lines(
        r.stderr, url, f"cannot make the folder of the SQLite file {blocker}/motcua.db",
        "Fix --database-url",
    )  # fmt: skip


def test_a_postgresql_user_that_does_not_exist_is_named(tmp_path: Path) -> None:
    import psycopg

    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as e:
        unavailable(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {e}")
    host_db = PG_ADMIN_URL.split("@", 1)[1]
    url = f"postgresql://khong_co_ai@{host_db}"
    env = _env(MOTCUA_DATABASE_URL=url)
    r = _run("db", "upgrade", "--config", str(EXAMPLE), cwd=tmp_path, env=env)
    assert r.returncode == 2
    _assert_two_clear_lines(
        r.stderr, url, "PostgreSQL has no user khong_co_ai (make it with: createuser",
        "Fix MOTCUA_DATABASE_URL",
    )  # fmt: skip


def test_debug_shows_the_traceback_as_well(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/motcua"
    r = _run(
        "--debug", "db", "upgrade", "--config", str(EXAMPLE), "--database-url", url,
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 2
    assert "Traceback (most recent call last)" in r.stderr
    assert "psycopg.OperationalError" in r.stderr
    # The two lines still come last, where the eye lands.
    assert r.stderr.strip().splitlines()[-1].startswith("Database error")


def test_an_unexpected_error_is_one_line_pointing_at_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = typer.Typer()

    @app.command()
    def boom() -> None:
        raise ZeroDivisionError("chia cho 0")

    monkeypatch.setattr(sys, "argv", ["motcua"])
    monkeypatch.setattr(errors.Options, "debug", False)
    with pytest.raises(SystemExit) as exit_:
        errors.run(app)
    assert exit_.value.code == errors.UNEXPECTED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("Lỗi không mong đợi: ZeroDivisionError: chia cho 0")
    assert "run again with --debug" in err[0]


# ------------------------------------------------------------------ the site YAML


def test_a_misspelt_section_says_did_you_mean(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("\nservices:", "\nsevices:", 1)
    site = tmp_path / "site.yaml"
    site.write_text(text, encoding="utf-8")
    r = _run("server", "--config", str(site), "--check", cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2, r.stderr  # the header and the one problem
    assert str(site) in lines[0]
    assert "sevices" in lines[1]
    assert "có phải ý bạn là services?" in lines[1]
    assert "did you mean services?" in lines[1]
    assert "Field required" not in r.stderr  # not told twice
    assert "Traceback" not in r.stderr


def test_a_bad_device_entry_names_the_device_and_the_file(tmp_path: Path) -> None:
    data = site_data()
    pad = next(d for d in data["devices"] if d["id"] == "pad-q2")
    pad["password_hash"] = "matkhau123"
    site = _write(tmp_path / "site.yaml", data)
    r = _run("server", "--config", str(site), "--check", cwd=tmp_path)
    assert r.returncode == 2
    line = next(x for x in r.stderr.splitlines() if "password_hash" in x)
    assert str(site) in line
    assert "devices[pad-q2].password_hash (thiết bị pad-q2)" in line
    vi, en = line.split(": ", 2)[-1].split(" / ", 1)
    assert "mã băm $7$" in vi and "motcua broker-config hash" in vi
    assert "must be a Mosquitto $7$ hash" in en


def test_a_bad_device_yaml_names_the_device_and_the_field(tmp_path: Path) -> None:
    kiosk = tmp_path / "kiosk.yaml"
    kiosk.write_text(
        "device_id: kiosk-7\nsite: gialoc\nbroker: {host: 127.0.0.1, prot: 1883}\n",
        encoding="utf-8",
    )
    r = _run("kiosk", "--config", str(kiosk), cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert f"{kiosk}: cấu hình thiết bị kiosk-7 sai" in lines[0]
    assert "invalid configuration of device kiosk-7" in lines[0]
    assert "broker.prot" in lines[1] and "did you mean port?" in lines[1]


# ------------------------------------------------------------------ the broker password


@pytest.fixture
def guarded_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    broker = start_mosquitto(make_site(), tmp_path / "mosquitto")
    yield broker
    broker.stop()


def test_a_wrong_broker_password_is_told_once_and_in_health_and_retried(
    tmp_path: Path, guarded_broker: MosquittoBroker
) -> None:
    data = site_data()
    data["server"]["broker"].update(embedded=False, port=guarded_broker.port)
    data["server"]["database_url"] = f"sqlite:///{tmp_path / 'motcua.db'}"
    http = free_port()
    data["server"]["http"]["port"] = http
    site = _write(tmp_path / "site.yaml", data)
    log = tmp_path / "server.log"
    env = _env(MOTCUA_MQTT_PASSWORD="not-the-server-password")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [MOTCUA, "server", "--config", str(site)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def health() -> dict[str, Any]:
            assert proc.poll() is None, log.read_text(encoding="utf-8")
            try:
                body: dict[str, Any] = httpx.get(f"http://127.0.0.1:{http}/api/health").json()
            except httpx.TransportError as e:
                raise AssertionError(f"not serving yet: {e}") from None
            return body

        def refused_a_few_times() -> dict[str, Any]:
            body = health()
            assert body["broker_link"]["state"] == "refused", body["broker_link"]
            assert body["broker_link"]["disconnects"] >= 3, body["broker_link"]
            return body

        body = eventually(refused_a_few_times, "the server's log-in refused 3 times", 30)
        (problem,) = body["problems"]
        assert problem["code"] == "link_refused"
        assert _vietnamese(problem["vi"]) and "MOTCUA_MQTT_PASSWORD" in problem["vi"]
        assert "Not authorized" in problem["en"]
        assert "MOTCUA_MQTT_PASSWORD" in problem["en"]
        assert "server.broker.password_hash" in problem["en"]
        # One clear line in the log, not one per retry.
        said = log.read_text(encoding="utf-8")
        refusals = [line for line in said.splitlines() if "refused" in line]
        assert len(refusals) == 1, said
        assert "MOTCUA_MQTT_PASSWORD" in refusals[0]
        assert "connection lost" not in said
        assert proc.poll() is None  # still running: the broker may be being fixed

        # The broker is fixed (its password file now has this password): it connects.
        guarded_broker.stop()
        guarded_broker.server_password = "not-the-server-password"
        guarded_broker.write()
        guarded_broker.start()
        eventually(lambda: health()["status"] == "ok", "the server healthy again", 45)
    finally:
        proc.terminate()
        proc.wait(30)
