"""Adding devices to a site YAML in place: new broker accounts with random passwords.

The site YAML is the operator's file, with their comments and their order: new entries
are appended to the ``devices:`` list as text (one flow mapping a line, like the
example), not by dumping the parsed file again. The result is loaded and validated as
the server would before it replaces the file (atomically, 0600, same owner).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import yaml

from server.broker.passwords import hash_device_password
from server.config import ConfigError, SiteConfig, load_site_config
from server.config.devices import DeviceKind
from server.files import replace_file

KINDS: tuple[str, ...] = get_args(DeviceKind)
_DEVICES_KEY = re.compile(r"^devices\s*:\s*(?P<rest>.*)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class EnrolError(Exception):
    """Devices that cannot be added; the message (VN / EN) says which and why."""


@dataclass(frozen=True)
class NewDevice:
    id: str
    kind: str
    desk: str | None
    password: str

    def entry(self, password_hash: str) -> str:
        """The device's line in the ``devices:`` list (a YAML flow mapping)."""
        desk = f", desk: {self.desk}" if self.desk else ""
        return f'{{id: {self.id}, kind: {self.kind}{desk}, password_hash: "{password_hash}"}}'


def plan(config: SiteConfig, kind: str, ids: list[str], desks: list[str]) -> list[NewDevice]:
    """The devices to add, each with a new password; `EnrolError` names what is wrong."""
    if kind not in KINDS:
        raise EnrolError(
            f"Loại thiết bị không hợp lệ {kind!r} (chọn {', '.join(KINDS)}) / "
            f"unknown device kind {kind!r} (one of {', '.join(KINDS)})"
        )
    _check_ids(config, ids)
    pad_desks = _desks_for(config, kind, ids, desks)
    return [
        NewDevice(id, kind, desk, secrets.token_urlsafe(18))
        for id, desk in zip(ids, pad_desks, strict=True)
    ]


def _check_ids(config: SiteConfig, ids: list[str]) -> None:
    taken = set(config.device_by_id) | {config.server.broker.username}
    for i, device_id in enumerate(ids):
        if not _ID.match(device_id):
            raise EnrolError(
                f"Mã thiết bị {device_id!r} không hợp lệ (chữ thường, số, '-' hoặc '_') / "
                f"device id {device_id!r} is not valid (lowercase letters, digits, - or _)"
            )
        if device_id in taken or device_id in ids[:i]:
            raise EnrolError(
                f"Thiết bị {device_id} đã có trong cấu hình đơn vị / "
                f"device {device_id} already exists in the site YAML"
            )


def _desks_for(config: SiteConfig, kind: str, ids: list[str], desks: list[str]) -> list[str | None]:
    """A pad's desk, in the order of ``ids`` (one ``--desk`` per pad)."""
    if kind != "pad":
        if desks:
            raise EnrolError(
                "Chỉ máy đánh giá (pad) mới gắn với quầy / only a pad is bound to a desk (--desk)"
            )
        return [None] * len(ids)
    if len(desks) != len(ids):
        raise EnrolError(
            f"Mỗi máy đánh giá cần một --desk ({len(ids)} máy, {len(desks)} quầy) / "
            f"every pad needs its --desk ({len(ids)} pads, {len(desks)} desks given)"
        )
    known = config.desk_by_id
    has_pad = config.pad_of_desk
    for i, (device_id, desk) in enumerate(zip(ids, desks, strict=True)):
        if desk not in known:
            raise EnrolError(
                f"Quầy {desk!r} của máy {device_id} không có trong cấu hình đơn vị "
                f"(có: {', '.join(known)}) / desk {desk!r} of pad {device_id} is not in the "
                f"site YAML (known: {', '.join(known)})"
            )
        other = has_pad.get(desk) or next((ids[j] for j in range(i) if desks[j] == desk), None)
        if other:
            raise EnrolError(
                f"Quầy {desk} đã có máy đánh giá {other} / desk {desk} already has pad {other}"
            )
    return list(desks)


def with_devices(text: str, entries: list[str]) -> str:
    """``text`` (a site YAML) with ``entries`` appended to its ``devices:`` list."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    at = next((i for i, line in enumerate(lines) if _DEVICES_KEY.match(line)), None)
    if at is None:
        return "".join(lines) + "devices:\n" + "".join(f"  - {e}\n" for e in entries)
    rest = lines[at].rstrip("\n").split(":", 1)[1]
    value = rest.split("#", 1)[0].strip()
    if value == "[]":
        lines[at] = "devices:" + (f"  {rest[rest.index('#') :]}" if "#" in rest else "") + "\n"
    elif value:
        raise EnrolError(
            "Danh sách devices viết trên một dòng: hãy viết mỗi thiết bị một dòng '- {...}' / "
            "the devices list is written inline: write one '- {...}' line per device"
        )
    last, indent = at, "  "
    for i in range(at + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not lines[i][0].isspace() and not stripped.startswith("-"):
            break  # the next top-level key
        if stripped.startswith("-") and last == at:
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        last = i
    new = [f"{indent}- {e}\n" for e in entries]
    return "".join(lines[: last + 1] + new + lines[last + 1 :])


def add_devices(path: Path, devices: list[NewDevice]) -> SiteConfig:
    """Append ``devices`` to the site YAML at ``path``; the validated new configuration."""
    text = path.read_text(encoding="utf-8")
    new_text = with_devices(text, [d.entry(hash_device_password(d.password)) for d in devices])
    config = _validated(path, new_text)
    missing = [d.id for d in devices if d.id not in config.device_by_id]
    if missing:  # appended where YAML did not put them in the list: never write that
        raise EnrolError(
            f"Không thêm được {', '.join(missing)} vào danh sách devices của {path} / "
            f"could not append {', '.join(missing)} to the devices list of {path}"
        )
    write_private(path, new_text)
    return config


def _validated(path: Path, text: str) -> SiteConfig:
    """Load ``text`` exactly as the server will load ``path`` (same checks, same errors)."""
    fd, tmp = tempfile.mkstemp(prefix=".check-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            return load_site_config(tmp)
        except ConfigError as e:
            raise EnrolError(str(e).replace(tmp, str(path))) from None
    finally:
        os.unlink(tmp)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, mode 0600, keeping its owner."""
    replace_file(path, text.encode("utf-8"))


#: Where the installer copies the site's ``ca.crt`` on a kiosk PC or pad (docs/operations.md).
DEVICE_CA_FILE = "/etc/motcua/ca.crt"


def device_yaml(config: SiteConfig, device: NewDevice, broker_host: str) -> str:
    """The device's own YAML (the part that ties it to the site and the broker)."""
    data: dict[str, Any] = {"device_id": device.id}
    if device.desk:
        data["desk_id"] = device.desk
    data["site"] = config.site.code
    data["timezone"] = config.site.timezone
    data["state_dir"] = f"var/{device.id}"
    broker = config.server.broker
    data["broker"] = {"host": broker_host, "port": broker.port, "prefix": broker.prefix}
    if broker.tls is not None:
        # devices reach the broker over TLS only (the plain port is loopback or closed);
        # the CA is the copy of the site's ca.crt the installer puts on the device
        data["broker"]["port"] = broker.tls.port
        data["broker"]["tls_ca_file"] = DEVICE_CA_FILE
    data["password_env"] = "MOTCUA_DEVICE_PASSWORD"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def env_file(dir: Path, device: NewDevice) -> Path:
    """``dir/ID.env`` (0600) with the device's password for its systemd unit."""
    dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = dir / f"{device.id}.env"
    write_private(path, f"MOTCUA_DEVICE_PASSWORD={device.password}\n")
    return path
