"""Site configurations for tests: the example office, with passwords the tests know."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from server.broker.passwords import hash_device_password
from server.config import SiteConfig, parse_site_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "site.example.yaml"
SERVER_PASSWORD = "server-test-password"


def device_password(device_id: str) -> str:
    return f"pw-{device_id}-test"


@cache
def _hash(password: str) -> str:
    return hash_device_password(password)


def site_data(*, desks: int | None = None, kiosks: int = 2, **overrides: Any) -> dict[str, Any]:
    """The example site as a dict, with known device passwords.

    ``desks=N`` replaces the desks by N single-service desks (with a pad each), for
    load tests with many pads; ``kiosks=N`` gives kiosk-1 … kiosk-N.
    """
    data = copy.deepcopy(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    if desks is not None:
        codes = [s["code"] for s in data["services"]]
        data["desks"] = [
            {
                "id": f"q{i}",
                "number": i,
                "name": f"Quầy {i}",
                "services": [codes[(i - 1) % len(codes)]],
            }
            for i in range(1, desks + 1)
        ]
        data["clerks"] = [{"id": f"c{i:02d}", "name": f"Cán bộ {i}"} for i in range(1, desks + 1)]
        others = [d for d in data["devices"] if d["kind"] != "pad"]
        data["devices"] = others + [
            {"id": f"pad-q{i}", "kind": "pad", "desk": f"q{i}", "password_hash": "x"}
            for i in range(1, desks + 1)
        ]
    data["devices"] += [
        {"id": f"kiosk-{i}", "kind": "kiosk", "password_hash": "x"} for i in range(2, kiosks + 1)
    ]
    for dev in data["devices"]:
        dev["password_hash"] = _hash(device_password(dev["id"]))
    data["server"]["broker"]["password_hash"] = _hash(SERVER_PASSWORD)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def make_site(**kwargs: Any) -> SiteConfig:
    return parse_site_config(site_data(**kwargs), "test-site")


def write_site(path: Path, **kwargs: Any) -> Path:
    path.write_text(
        yaml.safe_dump(site_data(**kwargs), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path
