"""``motcua device add``: many devices in one run, into the operator's own site YAML (its
comments kept), and a real Mosquitto that reads the rewritten files lets them in."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from motcua.cli import app
from server.config import load_site_config
from tests.support.services import free_port, unavailable
from tests.support.sites import site_data
from tests.test_cli import _connack, _Mosquitto

HEADER = "# Cấu hình Bộ phận Một cửa – sửa bởi anh Tuấn, 02/12/2026\n# (do not lose me)\n"


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def site_file(tmp_path: Path) -> tuple[Path, int]:
    """The example site with an external broker on a free port, desks q5 and q6 without
    their pads, and the operator's comments on top."""
    port = free_port()
    data = site_data()
    data["devices"] = [d for d in data["devices"] if d["id"] not in ("pad-q5", "pad-q6")]
    data["server"]["broker"].update(embedded=False, bind="127.0.0.1", port=port)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    body = body.replace("devices:\n", "devices:   # mỗi thiết bị một tài khoản\n")
    path = tmp_path / "site.yaml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path, port


@pytest.fixture
def mosquitto_installed() -> None:
    if shutil.which("mosquitto") is None:
        unavailable("mosquitto is not installed (apt-get install mosquitto)")


def _passwords(output: str) -> dict[str, str]:
    """device id → the password printed once for it."""
    ids = re.findall(r"^# ---- (\S+) ", output, re.M)
    pws = re.findall(r"shown once\): MOTCUA_DEVICE_PASSWORD=(\S+)$", output, re.M)
    return dict(zip(ids, pws, strict=True))


@pytest.mark.mosquitto
def test_add_kiosks_and_pads_then_mosquitto_lets_each_in(
    site_file: tuple[Path, int], tmp_path: Path, mosquitto_installed: None
) -> None:
    site, port = site_file
    out, secrets = tmp_path / "broker", tmp_path / "secrets"
    kiosks = _run(
        "device", "add", "kiosk", "kiosk-3", "kiosk-4", "kiosk-5",
        "--config", str(site), "--broker-out", str(out),
    )  # fmt: skip
    assert kiosks.exit_code == 0, kiosks.output
    passwords = _passwords(kiosks.stdout)
    assert sorted(passwords) == ["kiosk-3", "kiosk-4", "kiosk-5"]
    assert "systemctl reload motcua-broker" in kiosks.stdout
    shown = kiosks.stdout.split("# ---- kiosk-3 (kiosk): config/kiosk-3.yaml\n")[1]
    first = yaml.safe_load(shown.split("# ----")[0])
    assert first["device_id"] == "kiosk-3" and first["broker"]["port"] == port
    assert first["password_env"] == "MOTCUA_DEVICE_PASSWORD"

    pads = _run(
        "device", "add", "pad", "pad-q5", "pad-q6", "--desk", "q5", "--desk", "q6",
        "--config", str(site), "--broker-out", str(out), "--secrets-dir", str(secrets),
    )  # fmt: skip
    assert pads.exit_code == 0, pads.output
    assert "desk_id: q5" in pads.stdout and "desk_id: q6" in pads.stdout
    assert "shown once" not in pads.stdout  # the passwords are in the env files only
    for pad in ("pad-q5", "pad-q6"):
        env = secrets / f"{pad}.env"
        assert stat.S_IMODE(env.stat().st_mode) == 0o600
        key, value = env.read_text().strip().split("=", 1)
        assert key == "MOTCUA_DEVICE_PASSWORD"
        passwords[pad] = value

    text = site.read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    assert "devices:   # mỗi thiết bị một tài khoản" in text
    assert stat.S_IMODE(site.stat().st_mode) == 0o600
    config = load_site_config(site)
    assert [d.id for d in config.devices][-5:] == [*sorted(passwords)]
    assert config.device_by_id["pad-q6"].desk == "q6"
    assert config.pad_of_desk["q5"] == "pad-q5"

    conf = out / "mosquitto.conf"
    if os.geteuid() == 0:  # as root, Mosquitto would switch to the `mosquitto` user
        with conf.open("a", encoding="utf-8") as f:
            f.write("user root\n")
    broker = _Mosquitto(conf, port, tmp_path / "mosquitto.log")
    try:
        for device_id, password in passwords.items():
            assert _connack(port, device_id, password), device_id
        assert not _connack(port, "kiosk-4", passwords["kiosk-3"])
        assert not _connack(port, "pad-q5", "mat-khau-sai-hoan-toan")
    finally:
        broker.stop()


def test_refusals_name_the_device_and_write_nothing(site_file: tuple[Path, int]) -> None:
    site, _port = site_file
    before = site.read_bytes()
    cases = [
        (["lamp", "x-1"], "Loại thiết bị không hợp lệ 'lamp'", "unknown device kind 'lamp'"),
        (["kiosk", "kiosk-1"], "Thiết bị kiosk-1 đã có", "device kiosk-1 already exists"),
        (["kiosk", "k-9", "k-9"], "Thiết bị k-9 đã có", "already exists"),
        (["pad", "pad-x"], "Mỗi máy đánh giá cần một --desk", "every pad needs its --desk"),
        (["pad", "pad-x", "--desk", "q9"], "Quầy 'q9' của máy pad-x", "desk 'q9' of pad pad-x"),
        (["pad", "pad-x", "--desk", "q1"], "Quầy q1 đã có máy đánh giá pad-q1", "already has"),
        (["kiosk", "Kiosk 2"], "không hợp lệ", "is not valid"),
        (["board", "board-2", "--desk", "q1"], "Chỉ máy đánh giá", "only a pad"),
    ]
    for args, vi, en in cases:
        result = _run("device", "add", *args, "--config", str(site))
        assert result.exit_code == 2, (args, result.output)
        assert vi in result.stderr and en in result.stderr, (args, result.stderr)
    assert site.read_bytes() == before


def test_a_board_needs_no_broker_folder_and_the_hint_says_so(
    site_file: tuple[Path, int],
) -> None:
    site, _port = site_file
    result = _run("device", "add", "board", "board-2", "--config", str(site))
    assert result.exit_code == 0, result.output
    assert "motcua broker-config write" in result.stdout
    assert "board-2" in load_site_config(site).device_by_id


def test_entries_go_at_the_end_of_the_list_whatever_its_layout() -> None:
    from motcua.site_devices import with_devices

    entry = "{id: k9, kind: kiosk}"
    indented = "a: 1\ndevices:\n  - {id: k1}\n  # trailing note\n\n# rating section\nrating: {}\n"
    assert with_devices(indented, [entry]) == (
        "a: 1\ndevices:\n  - {id: k1}\n  - " + entry + "\n  # trailing note\n\n"
        "# rating section\nrating: {}\n"
    )
    empty = "devices: []   # none yet\nrating: {}"
    assert with_devices(empty, [entry]) == ("devices:  # none yet\n  - " + entry + "\nrating: {}\n")
    missing = "a: 1\n"
    assert with_devices(missing, [entry]) == "a: 1\ndevices:\n  - " + entry + "\n"


def test_on_a_tls_site_the_printed_device_yaml_connects_over_tls(tmp_path: Path) -> None:
    """The device YAML that `device add` prints is the one the kiosk uses: on a site whose
    broker has a TLS listener it must name the TLS port and the CA file, or the kiosk
    would knock on a plain port that only listens on the server's loopback."""
    data = site_data()
    data["server"]["broker"].update(
        embedded=False,
        tls={
            "port": 8884,
            "cert_file": str(tmp_path / "server.crt"),
            "key_file": str(tmp_path / "server.key"),
            "ca_file": str(tmp_path / "ca.crt"),
        },
    )
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    result = _run("device", "add", "kiosk", "k-tls", "--config", str(site))
    assert result.exit_code == 0, result.output
    printed = result.stdout[result.stdout.index("device_id: k-tls") :]
    broker = yaml.safe_load(printed.split("\n# ", 1)[0])["broker"]
    assert broker["port"] == 8884
    assert broker["tls_ca_file"] == "/etc/motcua/ca.crt"
