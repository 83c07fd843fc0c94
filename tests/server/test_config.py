"""The site YAML: the example office validates, and every kind of mistake stops start-up
with a message naming the file, the field and the problem (issue 2, "Configuration")."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.config import ConfigError, SiteConfig, load_site_config
from server.runtime import ServerRuntime
from tests.support.sites import EXAMPLE, ROOT, site_data, write_site

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def _error_of(path: Path) -> str:
    """The message of the `ConfigError` that loading ``path`` raises."""
    with pytest.raises(ConfigError) as info:
        load_site_config(path)
    return str(info.value)


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _is_vietnamese(text: str) -> bool:
    """Written with Vietnamese letters (at least one diacritic), in NFC."""
    return unicodedata.is_normalized("NFC", text) and any(ord(ch) > 127 for ch in text)


# ----------------------------------------------------------------------------- the example


def test_example_describes_a_realistic_vietnamese_one_stop_desk() -> None:
    cfg = load_site_config(EXAMPLE)
    assert cfg.site.timezone == "Asia/Ho_Chi_Minh"
    assert _is_vietnamese(cfg.site.name) and "Một cửa" in cfg.site.name
    assert len(cfg.services) == 6
    assert len(cfg.desks) == 6
    assert all(_is_vietnamese(s.name) for s in cfg.services), [s.name for s in cfg.services]
    assert all(_is_vietnamese(d.name) for d in cfg.desks), [d.name for d in cfg.desks]
    assert all(_is_vietnamese(c.name) for c in cfg.clerks)
    assert "Tư pháp – Hộ tịch" in [s.name for s in cfg.services]
    assert sorted(s.prefix for s in cfg.services) == ["A", "B", "C", "D", "E", "F"]
    # Every service is served somewhere, and every desk has its rating pad.
    assert all(cfg.desks_serving(s.code) for s in cfg.services)
    assert set(cfg.pad_of_desk) == {d.id for d in cfg.desks}
    assert any(d.kind == "kiosk" for d in cfg.devices)
    # The five priority groups of the design, with Vietnamese names.
    assert len(cfg.priorities) == 5 and all(_is_vietnamese(p.name) for p in cfg.priorities)
    assert cfg.rating.scale == 3
    # Reserve numbers for offline kiosks: 30 per kiosk from 500, clear of a day's numbers.
    assert (cfg.offline.reserve_first, cfg.offline.block_size) == (500, 30)
    assert cfg.reserve_zone == (500, 500 + 30 * len(cfg.kiosk_ids) - 1)
    assert cfg.targets == {2021: 85, 2022: 90, 2023: 92, 2024: 95, 2025: 95}


def test_example_checks_ok_through_the_cli() -> None:
    r = subprocess.run(
        [MOTCUA, "server", "--config", str(EXAMPLE), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert f"{EXAMPLE}: OK" in r.stdout
    assert "6 lĩnh vực, 6 quầy" in r.stdout


# ----------------------------------------------------------------------------- mistakes


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting ``data[k0][k1]…[kn] = value``."""

    def mutate(data: dict[str, Any]) -> None:
        target = data
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return mutate


MISTAKES = [
    pytest.param(
        _set("desks", 2, "services", 0, value="dat_dai"),
        "desks[q3].services",
        "unknown service 'dat_dai'",
        id="desk-serves-unknown-service",
    ),
    pytest.param(
        _set("desks", 3, "id", value="q1"),
        "desks.id",
        "'q1' appears twice",
        id="duplicate-desk-id",
    ),
    pytest.param(
        _set("services", 1, "prefix", value="A"),
        "services.prefix",
        "'A' appears twice",
        id="duplicate-prefix",
    ),
    pytest.param(
        _set("devices", 1, "desk", value="q9"),
        "devices[pad-q1].desk",
        "unknown desk 'q9'",
        id="pad-on-unknown-desk",
    ),
    pytest.param(
        _set("devices", 2, "desk", value="q1"),
        "devices[pad-q2].desk",
        "desk 'q1' already has pad 'pad-q1'",
        id="two-pads-on-one-desk",
    ),
    pytest.param(
        _set("devices", 0, "password_hash", value="matkhau123"),
        "devices[kiosk-1].password_hash (thiết bị kiosk-1)",
        "must be a Mosquitto $7$ hash",
        id="bad-password-hash",
    ),
    pytest.param(
        _set("site", "timezone", value="Asia/Hanoi"),
        "site.timezone",
        "unknown time zone 'Asia/Hanoi'",
        id="unknown-timezone",
    ),
    pytest.param(
        _set("desks", 0, "number", value="một"),
        "desks[q1].number (quầy q1)",
        "phải là số nguyên / Input should be a valid integer",
        id="wrong-type",
    ),
    pytest.param(
        _set("services", 0, "target_wait_minute", value=10),
        "services[tp].target_wait_minute (lĩnh vực tp)",
        "có phải ý bạn là target_wait_minutes? / unknown key — did you mean target_wait_minutes?",
        id="typo-in-field-name",
    ),
    pytest.param(
        _set("calling", "polcy", value="strict"),
        "calling.polcy",
        "did you mean policy?",
        id="typo-in-section",
    ),
    pytest.param(
        _set("rating", "targets", 2026, value=105),
        "rating.targets.2026",
        "less than or equal to 100",
        id="target-over-100",
    ),
    pytest.param(
        _set("offline", value={"reserve_first": 9000, "block_size": 600}),
        "offline.block_size",
        "less than or equal to 500",
        id="reserve-block-too-big",
    ),
    pytest.param(
        lambda data: (
            data["offline"].update(reserve_first=9000, block_size=500),
            data["devices"].append({**data["devices"][0], "id": "kiosk-9"}),
        ),
        "offline",
        "reserve zone 9000…10499",
        id="reserve-zone-past-9999",
    ),
    pytest.param(
        _set("offline", "block_size", value=0),
        "offline.block_size",
        "greater than or equal to 1",
        id="reserve-block-size-zero",
    ),
    pytest.param(
        _set("services", value=[]),
        "services",
        "at least 1 item",
        id="no-services",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "problem"), MISTAKES)
def test_mistake_names_file_field_and_problem(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, problem: str
) -> None:
    data = site_data()
    mutate(data)
    path = _write(tmp_path / "site.yaml", data)
    message = _error_of(path)
    assert str(path) in message
    assert field in message, message
    assert problem in message, message
    # The field and its problem are on the same line, so each is easy to find.
    assert any(field in line and problem in line for line in message.splitlines()), message
    # Vietnamese first, then English: "… : phải là số nguyên / Input should be …".
    line = next(line for line in message.splitlines() if field in line and problem in line)
    assert _is_vietnamese(line.split(" / ")[0].split(": ", 2)[-1]), line


def test_every_mistake_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    data = site_data()
    data["site"]["timezone"] = "Asia/Hanoi"
    data["desks"][0]["number"] = "một"
    message = _error_of(_write(tmp_path / "site.yaml", data))
    assert "site.timezone" in message and "desks[q1].number" in message


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    k = next(i for i, line in enumerate(lines) if "id: q3," in line)
    lines[k] = lines[k].replace("services: [dd]}", "services: [dd}")
    path = tmp_path / "site.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _error_of(path)
    assert str(path) in message
    assert f"line {k + 1}" in message
    assert "YAML syntax error" in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "khong-co.yaml"
    message = _error_of(path)
    assert str(path) in message and "file not found" in message


def test_file_not_in_utf8(tmp_path: Path) -> None:
    """A file saved in a legacy Vietnamese encoding (here a Latin-1 "ô")."""
    raw = EXAMPLE.read_bytes().replace("Gia Lộc district".encode(), b"Gia L\xf4c district")
    path = tmp_path / "site.yaml"
    path.write_bytes(raw)
    message = _error_of(path)
    assert str(path) in message and "not UTF-8" in message
    bad_byte = raw.index(b"\xf4")
    assert f"byte {bad_byte}" in message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("", encoding="utf-8")
    message = _error_of(path)
    assert str(path) in message and "mapping" in message


# ----------------------------------------------------------------------------- via the CLI


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MOTCUA_DATABASE_URL", None)
    env.pop("MOTCUA_CONFIG", None)
    return env


def test_server_with_a_wrong_config_stops_with_a_clear_message(tmp_path: Path) -> None:
    data = site_data()
    data["desks"][2]["services"][0] = "dat_dai"
    path = _write(tmp_path / "bad.yaml", data)
    r = subprocess.run(
        [MOTCUA, "server", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_cli_env(),
    )
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert str(path) in r.stderr
    assert "desks[q3].services" in r.stderr
    assert "unknown service 'dat_dai'" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert not (tmp_path / "var").exists()  # nothing was started or created


def test_server_with_a_missing_config_stops_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    r = subprocess.run(
        [MOTCUA, "server", "--config", str(path), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_cli_env(),
    )
    assert r.returncode == 2
    assert f"{path}: không tìm thấy tệp / file not found" in r.stderr
    assert "Traceback" not in r.stderr


# ----------------------------------------------------------------------------- values


def test_database_url_from_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_site_config(
        write_site(tmp_path / "site.yaml", server={"database_url": "sqlite:///from-config.db"})
    )
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    assert cfg.database_url() == "sqlite:///from-config.db"
    env_url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("MOTCUA_DATABASE_URL", env_url)
    assert cfg.database_url() == env_url
    rt = ServerRuntime(cfg)  # not started: only where it would store
    try:
        assert rt.db.url == env_url
    finally:
        rt.db.dispose()


@pytest.mark.parametrize(
    ("year", "target"),
    [(2021, 85), (2022, 90), (2023, 92), (2024, 95), (2025, 95), (2026, 95), (2040, 95)],
)
def test_yearly_target_of_the_plan(year: int, target: float) -> None:
    cfg: SiteConfig = load_site_config(EXAMPLE)
    assert cfg.target_for(date(year, 6, 1)) == target


def test_no_target_before_the_plan_and_custom_targets_carry_on(tmp_path: Path) -> None:
    assert load_site_config(EXAMPLE).target_for(date(2020, 12, 31)) is None
    data = site_data()
    data["rating"]["targets"] = {2026: 96, 2027: 97.5}
    data["rating"].pop("target_default", None)
    cfg = load_site_config(_write(tmp_path / "site.yaml", data))
    assert cfg.target_for(date(2026, 1, 1)) == 96
    assert cfg.target_for(date(2031, 1, 1)) == 97.5
    assert cfg.target_for(date(2025, 1, 1)) is None
    # A default for the years after the plan …
    data["rating"]["target_default"] = 98
    cfg = load_site_config(_write(tmp_path / "site.yaml", data))
    assert cfg.target_for(date(2031, 1, 1)) == 98
    assert cfg.target_for(date(2027, 1, 1)) == 97.5
    # … and a file written before issue 12, with `targets` at the top level, still loads.
    old = site_data()
    old["targets"] = old["rating"].pop("targets")
    assert load_site_config(_write(tmp_path / "old.yaml", old)).target_for(date(2022, 5, 1)) == 90


def test_grade_bands_are_read_highest_first_and_must_start_at_zero(tmp_path: Path) -> None:
    data = site_data()
    data["rating"]["grades"] = [
        {"min_pct": 0, "name": "Chưa đạt"},
        {"min_pct": 90, "name": "Đạt", "name_en": "Met"},
    ]
    cfg = load_site_config(_write(tmp_path / "site.yaml", data))
    assert cfg.rating.grade_for(90.0).name == "Đạt"
    assert cfg.rating.grade_for(89.9).name == "Chưa đạt"
    assert cfg.rating.grade_for(None) is None
    data["rating"]["grades"] = [{"min_pct": 50, "name": "Đạt"}]
    with pytest.raises(ConfigError, match="lowest band must start at min_pct 0"):
        load_site_config(_write(tmp_path / "bad.yaml", data))
