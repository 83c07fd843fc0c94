"""A kiosk or pad that cannot log in to the broker says why, once: a missing password
variable stops it at start (exit code 2, one line naming the variable and the device);
a wrong password is one log line with what to check, not a loop of "Not authorized"."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from protocol.link import MqttLink
from server.config import SiteConfig
from tests.support.devices import settings_for
from tests.support.kiosk import write_kiosk_config, write_pad_config
from tests.support.services import Broker
from tests.support.waiting import eventually

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def _without_password(path: Path, password_env: str | None = None) -> Path:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["broker"]["password"]
    if password_env:
        data["password_env"] = password_env
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _start(kind: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MOTCUA_DEVICE_PASSWORD"}
    env.pop("PAD_Q1_PASSWORD", None)
    env["DISPLAY"] = ":404"  # never opened: the check comes before any window
    return subprocess.run(
        [MOTCUA, kind, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_kiosk_without_its_password_variable_stops_with_one_line(
    mosquitto: Broker, tmp_path: Path
) -> None:
    cfg = _without_password(write_kiosk_config(tmp_path / "k.yaml", mosquitto, tmp_path, None))
    result = _start("kiosk", cfg)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "Thiếu biến môi trường MOTCUA_DEVICE_PASSWORD (mật khẩu MQTT của thiết bị kiosk-1) / "
        "MOTCUA_DEVICE_PASSWORD is not set (the MQTT password of device kiosk-1)"
    ]
    assert "Not authorized" not in result.stdout + result.stderr


def test_a_pad_names_its_own_configured_variable(mosquitto: Broker, tmp_path: Path) -> None:
    cfg = _without_password(
        write_pad_config(tmp_path / "p.yaml", mosquitto, tmp_path), "PAD_Q1_PASSWORD"
    )
    result = _start("pad", cfg)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "Thiếu biến môi trường PAD_Q1_PASSWORD (mật khẩu MQTT của thiết bị pad-q1)"
    )
    assert line.endswith("PAD_Q1_PASSWORD is not set (the MQTT password of device pad-q1)")


def test_a_wrong_password_is_logged_once_with_a_hint(
    mosquitto: Broker, site: SiteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="protocol.mqtt.connection")
    link = MqttLink(
        settings_for(mosquitto, site, "kiosk-1", "mat-khau-sai-2025"), site.site.code, "kiosk-1"
    )
    link.start()
    try:
        eventually(
            lambda: sum("refused again" in r.getMessage() for r in caplog.records) >= 2,
            "the broker to refuse the password three times",
            30,
        )
    finally:
        link.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, errors
    assert "Not authorized" in errors[0] or "Bad user name or password" in errors[0]
    assert "check the password of account 'kiosk-1'" in errors[0]
    assert "password_hash in the site YAML" in errors[0]
