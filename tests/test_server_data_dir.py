"""``motcua server --data-dir``: the voice cache (and the broker's files) go where the
installer said, not into ``./var`` of whatever folder the server was started from."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from motcua.cli import app
from tests.support.processes import interrupt
from tests.support.services import free_port, sqlite_url, unavailable
from tests.support.sites import SERVER_PASSWORD, site_data
from tests.support.waiting import eventually

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def _site(tmp_path: Path) -> Path:
    data = site_data()
    data["server"]["database_url"] = sqlite_url(tmp_path)
    data["server"]["http"] = {"host": "127.0.0.1", "port": free_port()}
    data["server"]["broker"].update(
        embedded=True, bind="127.0.0.1", host="127.0.0.1", port=free_port()
    )
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_check_shows_the_data_dir_given_on_the_command_line(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = CliRunner().invoke(
        app, ["server", "--config", str(site), "--data-dir", str(tmp_path / "d"), "--check"]
    )
    assert result.exit_code == 0, result.output
    assert f"dữ liệu / data: {tmp_path / 'd'}" in result.output


def test_voice_cache_follows_data_dir_not_the_working_folder(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        unavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        unavailable("mosquitto is not installed (apt-get install mosquitto)")
    site = _site(tmp_path)
    data_dir, cwd = tmp_path / "data", tmp_path / "elsewhere"
    cwd.mkdir()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [MOTCUA, "server", "--config", str(site), "--data-dir", str(data_dir)],
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={"PATH": "/usr/bin:/bin:/usr/sbin", "MOTCUA_MQTT_PASSWORD": SERVER_PASSWORD},
    )
    try:
        voice = data_dir / "voice"

        def cached() -> bool:
            if proc.poll() is not None:
                pytest.fail("the server stopped:\n" + (tmp_path / "server.log").read_text())
            return voice.is_dir() and any(voice.glob("*.wav"))

        eventually(
            cached,
            "voice clips cached under --data-dir",
            timeout=90,
        )
        assert not (cwd / "var").exists()
    finally:
        interrupt(proc)
        log.close()
