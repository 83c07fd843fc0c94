"""The accounts page's own wording (`server.web.admin_i18n`): both languages, NFC, and
every key its template (``a("…")``) and script (``W.…``) use exists."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from server.web.admin_i18n import STRINGS

WEB = Path(__file__).resolve().parents[2] / "server" / "web"


def test_every_string_has_both_languages_in_nfc() -> None:
    for key, (vi, en) in STRINGS.items():
        assert vi.strip() and en.strip(), key
        assert unicodedata.normalize("NFC", vi) == vi, key
        assert unicodedata.normalize("NFC", en) == en, key
    assert STRINGS["disable"][0] == "Khoá" and STRINGS["title"][0] == "Quản lý tài khoản"


def test_the_template_and_script_use_only_known_keys() -> None:
    template = (WEB / "templates" / "admin_users.html").read_text(encoding="utf-8")
    script = (WEB / "static" / "admin-users.js").read_text(encoding="utf-8")
    used = set(re.findall(r"""\ba\(\s*["']([a-z_]+)["']""", template))
    used |= set(re.findall(r"\bW\.([a-z_]+)", script))
    # built from a value: W["act_" + action], W[label] for the buttons
    used |= {f"act_{a}" for a in ("add", "disable", "enable", "reset_password", "delete")}
    used |= {"disable", "enable", "reset", "delete"}
    assert len(used) > 20, "found the keys"
    assert sorted(used - set(STRINGS)) == []
