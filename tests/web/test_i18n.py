"""Page wording: every string in both languages, NFC, and every key the templates and
scripts use exists (a missing one would show as a blank or an error on a page)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from server.web.i18n import STRINGS

WEB = Path(__file__).resolve().parents[2] / "server" / "web"


def test_every_string_has_both_languages_in_nfc() -> None:
    for key, (vi, en) in STRINGS.items():
        assert vi.strip() and en.strip(), key
        assert unicodedata.normalize("NFC", vi) == vi, key
        assert unicodedata.normalize("NFC", en) == en, key


def test_the_vietnamese_is_vietnamese() -> None:
    marked = [vi for vi, _ in STRINGS.values() if not vi.isascii()]
    assert len(marked) > len(STRINGS) * 0.8, "most Vietnamese strings carry diacritics"
    assert STRINGS["call_next"][0] == "Gọi số tiếp theo"
    assert STRINGS["board_title"][0] == "Mời công dân đến quầy"


def test_templates_and_scripts_use_only_known_keys() -> None:
    used: set[str] = set()
    for f in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"""t\(\s*["']([a-z_]*[a-z])["']""", f.read_text(encoding="utf-8")))
    # built from a value: t("role_" + role), S["printer_" + state], S[status]
    used |= {f"role_{r}" for r in ("admin", "supervisor", "clerk", "board")}
    used |= {f"printer_{p}" for p in ("ok", "paper_near_end", "paper_out", "cover_open", "offline")}
    used |= {"online", "offline", "unknown", "never_seen"}
    for f in (WEB / "static").glob("*.js"):
        used |= set(re.findall(r"\bS\.([a-z_]+)", f.read_text(encoding="utf-8")))
    assert used, "found the keys"
    missing = sorted(used - set(STRINGS))
    assert not missing, missing
