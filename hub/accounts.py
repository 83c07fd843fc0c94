"""``motcua hub add-office``: an office's row on the hub, its broker account (a new
random password, only its hash kept) and the lines for its site YAML."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from hub.broker_files import HubBrokerFiles, office_username, write_hub_broker
from hub.config import HubConfig
from protocol.text import IDENTIFIER_PATTERN
from server.broker.passwords import hash_device_password
from server.config import ConfigError
from server.db.database import Database
from server.db.tables import OfficeRow
from server.timeutil import now_utc


@dataclass(frozen=True)
class OfficeAccount:
    code: str
    username: str
    password: str
    files: HubBrokerFiles


def add_office(
    config: HubConfig, db: Database, code: str, *, name: str, group: str, out_dir: Path
) -> OfficeAccount:
    """Add (or re-key) office ``code``: a new password replaces any earlier one."""
    if not re.fullmatch(IDENTIFIER_PATTERN, code):
        raise ConfigError(
            f"mã đơn vị {code!r} không hợp lệ (chữ thường, số, - và _) / "
            f"invalid office code {code!r} (lowercase letters, digits, - and _)"
        )
    password = secrets.token_urlsafe(24)
    now = now_utc()
    with db.write() as s:
        _upsert(s, code, name, group, hash_device_password(password), now)
    files = write_hub_broker(config, db, out_dir)
    return OfficeAccount(code, office_username(code), password, files)


def _upsert(s: Session, code: str, name: str, group: str, password_hash: str, now: object) -> None:
    row = s.get(OfficeRow, code)
    if row is None:
        row = OfficeRow(code=code, name=name or code, group_name=group, created_at=now)
        s.add(row)
    else:
        row.name = name or row.name
        row.group_name = group or row.group_name
    row.password_hash = password_hash


def site_yaml_lines(config: HubConfig, account: OfficeAccount, env: str) -> list[str]:
    """The ``hub:`` section for the office's site YAML."""
    wan = config.broker.wan
    lines = [
        "hub:",
        f"  host: {wan.public_host}",
        f"  port: {wan.port}",
        f"  username: {account.username}",
        f"  password_env: {env}",
    ]
    if wan.tls:
        lines.append("  ca_file: /etc/motcua/hub-ca.crt")
    return lines
