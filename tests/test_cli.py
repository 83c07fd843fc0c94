"""The `motcua` command line: broker passwords and Mosquitto files, user
accounts (argon2, no default password), and Vietnamese help."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from motcua.cli import app
from server.auth.tokens import user_for_token
from server.auth.users import authenticate
from server.broker.passwords import verify_device_password
from server.config import load_site_config
from server.config.devices import MOSQUITTO_HASH
from server.db.database import Database
from server.db.tables import UserRow
from tests.support.services import free_port, sqlite_url, unavailable, wait_port
from tests.support.sites import SERVER_PASSWORD, device_password, site_data, write_site

MOTCUA = str(Path(sys.executable).with_name("motcua"))
PASSWORD = "Mat-khau-rat-dai-2025"


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    """The commands run in this process make its files private (umask 077): not for
    the tests that follow."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def _yaml(data: dict[str, object], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- help


def test_help_is_in_vietnamese() -> None:
    main = subprocess.run([MOTCUA, "--help"], capture_output=True, text=True, timeout=60)
    assert main.returncode == 0, main.stderr
    assert "lấy số thứ tự và đánh giá sự hài lòng" in main.stdout
    for text in ("Chạy máy chủ", "Chạy bản trình diễn", "Máy in phiếu", "Tài khoản người dùng"):
        assert text in main.stdout, text
    printer = subprocess.run(
        [MOTCUA, "printer", "--help"], capture_output=True, text=True, timeout=60
    )
    assert printer.returncode == 0, printer.stderr
    assert "Máy in phiếu" in printer.stdout and "In trang thử" in printer.stdout
    user = _run("user", "add", "--help")
    assert user.exit_code == 0 and "Tạo tài khoản" in user.output


# ----------------------------------------------------------------------------- broker-config


def test_hash_generate_prints_a_password_and_its_mosquitto_hash(tmp_path: Path) -> None:
    result = _run("broker-config", "hash", "--generate")
    assert result.exit_code == 0, result.output
    password = re.search(r"^password: (\S+)$", result.stdout, re.M)
    hashed = re.search(r'^password_hash: "(\S+)"$', result.stdout, re.M)
    assert password and hashed, result.stdout
    assert len(password[1]) >= 16
    assert hashed[1].startswith("$7$") and MOSQUITTO_HASH.match(hashed[1])
    assert verify_device_password(password[1], hashed[1])
    assert not verify_device_password(password[1] + "x", hashed[1])
    # Ready to paste into the site YAML: it validates there.
    data = site_data()
    data["devices"][0]["password_hash"] = hashed[1]
    cfg = load_site_config(_yaml(data, tmp_path / "site.yaml"))
    assert cfg.devices[0].password_hash == hashed[1]


def test_hash_of_a_given_password_and_too_short_ones() -> None:
    result = _run("broker-config", "hash", stdin="kiosk-sanh-chinh-2025\n")
    assert result.exit_code == 0, result.output
    hashed = re.search(r'password_hash: "(\S+)"', result.stdout)
    assert hashed and verify_device_password("kiosk-sanh-chinh-2025", hashed[1])
    short = _run("broker-config", "hash", stdin="ngan\n")
    assert short.exit_code == 2
    assert "ít nhất 12 ký tự" in short.stderr


class _Mosquitto:
    """A real Mosquitto started with the files `motcua broker-config write` made."""

    def __init__(self, conf: Path, port: int, log: Path) -> None:
        self.port = port
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(conf)], stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_port(port, timeout=15)
        except AssertionError:
            self.stop()
            raise AssertionError(f"mosquitto did not start: {log.read_text()}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


def _connack(port: int, username: str | None, password: str | None) -> bool:
    """Whether the broker accepts this account (the CONNACK), within 15 s."""
    result: list[bool] = []
    done = threading.Event()

    def on_connect(client: mqtt.Client, u: object, f: object, reason: object, p: object) -> None:
        result.append(not getattr(reason, "is_failure", True))
        done.set()

    def on_disconnect(client: mqtt.Client, u: object, f: object, reason: object, p: object) -> None:
        done.set()

    c = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"cli-test-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv311,
    )
    if username is not None:
        c.username_pw_set(username, password)
    c.on_connect = on_connect
    c.on_disconnect = on_disconnect
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        assert done.wait(15), "no CONNACK"
        return bool(result and result[0])
    finally:
        c.disconnect()
        c.loop_stop()


@pytest.fixture
def mosquitto_binary() -> None:
    if shutil.which("mosquitto") is None:
        unavailable("mosquitto is not installed (apt-get install mosquitto)")


@pytest.mark.mosquitto
def test_broker_config_write_makes_a_working_mosquitto_without_anonymous_access(
    tmp_path: Path, mosquitto_binary: None
) -> None:
    site = write_site(tmp_path / "site.yaml")
    out = tmp_path / "mosquitto"
    port = free_port()
    result = _run(
        "broker-config",
        "write",
        "--config",
        str(site),
        "--out",
        str(out),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
    )
    assert result.exit_code == 0, result.output
    conf, passwd, acl = out / "mosquitto.conf", out / "passwd", out / "acl"
    assert f"mosquitto -c {conf}" in result.stdout
    text = conf.read_text()
    assert "allow_anonymous false" in text and f"listener {port} 127.0.0.1" in text
    assert passwd.stat().st_mode & 0o007 == 0  # secrets are not world-readable
    users = [line.split(":", 1)[0] for line in passwd.read_text().splitlines()]
    assert users == ["server", *(d.id for d in load_site_config(site).devices)]
    assert "user kiosk-1" in acl.read_text()
    if os.geteuid() == 0:  # as root, Mosquitto would switch to the `mosquitto` user
        with conf.open("a", encoding="utf-8") as f:
            f.write("user root\n")

    broker = _Mosquitto(conf, port, tmp_path / "mosquitto.log")
    try:
        assert _connack(port, "kiosk-1", device_password("kiosk-1"))
        assert _connack(port, "server", SERVER_PASSWORD)
        assert not _connack(port, None, None), "anonymous client accepted"
        assert not _connack(port, "kiosk-1", "doan-mo-mat-khau")
        assert not _connack(port, "pad-q1", device_password("kiosk-1"))
    finally:
        broker.stop()


def test_broker_config_write_needs_the_server_account(tmp_path: Path) -> None:
    data = site_data()
    data["server"]["broker"].pop("password_hash")
    site = _yaml(data, tmp_path / "site.yaml")
    result = _run("broker-config", "write", "--config", str(site), "--out", str(tmp_path / "m"))
    assert result.exit_code == 2
    assert "server.broker.password_hash" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ----------------------------------------------------------------------------- user add


@pytest.fixture
def site_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    return write_site(tmp_path / "site.yaml", server={"database_url": sqlite_url(tmp_path)})


@pytest.fixture
def site_db(site_file: Path) -> Iterator[Database]:
    db = Database(load_site_config(site_file).database_url())
    yield db
    db.dispose()


def _add(site_file: Path, username: str, *options: str, password: str = PASSWORD) -> Result:
    return _run(
        "user",
        "add",
        username,
        *options,
        "--config",
        str(site_file),
        "--password-stdin",
        stdin=password + "\n",
    )


def test_user_add_creates_an_argon2_account(site_file: Path, site_db: Database) -> None:
    result = _add(site_file, "admin", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert "admin (admin)" in result.stdout
    clerk = _add(site_file, "Lan.Nguyen", "--role", "clerk", "--clerk", "c01")
    assert clerk.exit_code == 0, clerk.output
    with site_db.write() as s:
        rows = {r.username: r for r in s.scalars(select(UserRow))}
        assert set(rows) == {"admin", "lan.nguyen"}
        for row in rows.values():
            assert row.password_hash.startswith("$argon2")
            assert PASSWORD not in row.password_hash
        assert (rows["lan.nguyen"].role, rows["lan.nguyen"].clerk_id) == ("clerk", "c01")
        admin = authenticate(s, "admin", PASSWORD)
        assert admin is not None and admin.role == "admin"
        assert authenticate(s, "admin", PASSWORD + "!") is None


def test_account_commands_keep_the_database_private(site_file: Path) -> None:
    """It holds the password hashes and the sessions: made 0600 by the first `user add`,
    and made private again by the next command if an older version left it readable."""
    db = Path(make_url(load_site_config(site_file).database_url()).database or "")
    assert not db.exists()
    assert _add(site_file, "admin", "--role", "admin").exit_code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    db.chmod(0o644)
    assert _run("user", "revoke", "admin", "--config", str(site_file)).exit_code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("options", "password", "message"),
    [
        pytest.param(("--role", "admin"), "ngan-qua", "ít nhất 10 ký tự", id="short-password"),
        pytest.param(("--role", "superuser"), PASSWORD, "vai trò", id="unknown-role"),
        pytest.param(("--role", "clerk"), PASSWORD, "--clerk", id="clerk-without-clerk-id"),
        pytest.param(
            ("--role", "clerk", "--clerk", "c99"), PASSWORD, "--clerk", id="clerk-unknown-id"
        ),
        pytest.param(
            ("--role", "admin", "--clerk", "c01"), PASSWORD, "--clerk", id="admin-with-clerk-id"
        ),
    ],
)
def test_user_add_refuses_bad_accounts(
    site_file: Path, site_db: Database, options: tuple[str, ...], password: str, message: str
) -> None:
    result = _add(site_file, "someone", *options, password=password)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    with site_db.read() as s:
        assert s.scalar(select(UserRow.id)) is None


def test_user_add_refuses_a_duplicate(site_file: Path, site_db: Database) -> None:
    assert _add(site_file, "giamsat", "--role", "supervisor").exit_code == 0
    again = _add(site_file, "GiamSat", "--role", "admin", password=PASSWORD + "-2")
    assert again.exit_code == 2
    assert "đã có" in again.stderr
    with site_db.read() as s:
        rows = list(s.scalars(select(UserRow)))
    assert [(r.username, r.role) for r in rows] == [("giamsat", "supervisor")]


# ----------------------------------------------------------------------------- boards


def test_board_token_prints_an_address_that_opens_the_board_and_revoke_ends_it(
    site_file: Path, site_db: Database
) -> None:
    result = _run("user", "board-token", "tv-sanh", "--days", "30", "--config", str(site_file))
    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    assert "/board?token=" in url
    token = url.split("token=", 1)[1]
    with site_db.read() as s:
        user = user_for_token(s, token)
    assert user is not None and (user.username, user.role) == ("tv-sanh", "board")
    # a clerk account cannot be turned into a board
    assert _add(site_file, "lan", "--role", "clerk", "--clerk", "c01").exit_code == 0
    refused = _run("user", "board-token", "lan", "--config", str(site_file))
    assert refused.exit_code == 2 and "không phải tài khoản màn hình" in refused.stderr
    revoked = _run("user", "revoke", "tv-sanh", "--config", str(site_file))
    assert revoked.exit_code == 0 and "1" in revoked.stdout
    with site_db.read() as s:
        assert user_for_token(s, token) is None


# ----------------------------------------------------------------------------- report


@pytest.fixture
def report_site(site_file: Path) -> Iterator[tuple[Path, Any]]:
    """The site file and its database holding August and September 2026 (simulated)."""
    from server.db.migrate import upgrade
    from tests.support.report_history import write_history

    cfg = load_site_config(site_file)
    db = Database(cfg.database_url())
    upgrade(db)
    write_history(db, cfg, first=date(2026, 8, 1))
    db.dispose()
    yield site_file, cfg


def _report(site_file: Path, *args: str) -> Result:
    return _run("report", "--config", str(site_file), *args)


def test_report_writes_xlsx_pdf_and_csv_from_the_database(
    report_site: tuple[Path, Any], tmp_path: Path
) -> None:
    from server.reports.figures import build_report
    from server.reports.model import Filters
    from server.reports.period import parse_period

    site_file, cfg = report_site
    helped = _run("report", "--help")
    assert helped.exit_code == 0 and "Lập báo cáo ra tệp" in helped.output
    db = Database(cfg.database_url())
    with db.read() as s:
        august = build_report(s, cfg, parse_period("2026-08"), compare=False)
        lan = build_report(s, cfg, parse_period("2026-08"), Filters(clerk="c01"), compare=False)
    db.dispose()
    pct = f"{august.total.satisfaction_pct:.1f}".replace(".", ",")

    xlsx = tmp_path / "out" / "bao-cao.xlsx"
    result = _report(site_file, "--period", "2026-08", "--out", str(xlsx), "--site", "gialoc")
    assert result.exit_code == 0, result.output
    assert f"Tháng 8 năm 2026: hài lòng / satisfied {pct} %" in result.stdout
    assert str(xlsx) in result.stdout
    wb = openpyxl.load_workbook(xlsx)
    official = wb["Bảng đánh giá"]
    total = next(r for r in official.iter_rows(values_only=True) if r[1] == "Tổng cộng")
    assert total[2] == august.total.ratings and total[6] == august.total.satisfaction_pct

    pdf = tmp_path / "bao-cao.bin"
    result = _report(site_file, "--period", "2026-08", "--out", str(pdf), "--format", "pdf")
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")

    csv_file = tmp_path / "clerk.csv"
    result = _report(
        site_file, "--period", "2026-08", "--out", str(csv_file), "--clerk", "c01", "--lang", "en"
    )
    assert result.exit_code == 0, result.output
    assert f"August 2026: hài lòng / satisfied {lan.total.satisfaction_pct:.1f} %" in result.stdout
    raw = csv_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Clerk,Code,Rank,") and len(lines) == 2
    assert lines[1].split(",")[1] == "c01"

    by_day = tmp_path / "days.csv"
    result = _report(
        site_file, "--period", "2026-08-01..2026-08-10", "--by", "day", "-o", str(by_day)
    )
    assert result.exit_code == 0, result.output
    assert len(by_day.read_text(encoding="utf-8-sig").splitlines()) == 1 + 10


@pytest.mark.parametrize(
    ("args", "vi", "en"),
    [
        (["--period", "2026-13"], "tháng phải từ 1 đến 12", "the month must be 1–12"),
        (["--period", "2026-02-30"], "không có ngày 2026-02-30", "there is no day 2026-02-30"),
        (["--period", "2020-01-01..2026-01-01"], "dài quá 5 năm", "longer than 5 years"),
        (["--period", "2026-08", "--clerk", "c99"], "Không có cán bộ “c99”", "unknown clerk"),
        (["--period", "2026-08", "--site", "hanoi"], "không trùng cấu hình", "not the configured"),
        (["--period", "2026-08", "--by", "year"], "Cách chia “year”", "unknown breakdown"),
    ],
)
def test_report_refuses_bad_input_with_both_messages_and_writes_nothing(
    report_site: tuple[Path, Any], tmp_path: Path, args: list[str], vi: str, en: str
) -> None:
    site_file, _ = report_site
    out = tmp_path / "bao-cao.csv"
    result = _report(site_file, *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert vi in result.stderr and en in result.stderr, result.stderr
    assert not out.exists() and not list(tmp_path.glob(".bao-cao*"))
