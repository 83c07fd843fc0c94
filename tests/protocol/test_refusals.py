"""Refusal codes and their wording: every `Reason` is worded in both languages, every
refusal raised anywhere names a `Reason` (and a sentence that exists, with the values it
needs), and `MotcuaError` words itself from the catalog."""

from __future__ import annotations

import ast
import string
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from protocol.errors import MotcuaError
from protocol.i18n import Catalog, Localized, localized
from protocol.refusals import REFUSALS, Reason, as_reason, wording_key

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("protocol", "server", "kiosk", "rating_pad", "touch_ui", "motcua", "ticket_printer")


# ---------------------------------------------------------------------- the catalog


def test_every_reason_is_worded_in_both_languages_in_nfc() -> None:
    for reason in Reason:
        assert reason.value in REFUSALS, reason
    for key, (vi, en) in REFUSALS.items():
        assert vi.strip() and en.strip(), key
        assert unicodedata.normalize("NFC", vi) == vi, key
        assert unicodedata.normalize("NFC", en) == en, key


def test_every_catalog_key_is_a_reason_or_a_reason_said_another_way() -> None:
    codes = {r.value for r in Reason}
    for key in REFUSALS:
        code, dot, variant = key.partition(".")
        assert code in codes, key
        assert not dot or variant.isidentifier(), key


def test_the_vietnamese_is_vietnamese() -> None:
    marked = [vi for vi, _ in REFUSALS.values() if not vi.isascii()]
    assert len(marked) == len(REFUSALS), "every Vietnamese sentence carries diacritics"


def test_codes_read_from_the_wire() -> None:
    assert as_reason("desk_busy") is Reason.DESK_BUSY
    assert as_reason("from_a_newer_server") is Reason.REFUSED
    assert wording_key(Reason.DESK_BUSY, "close") == "desk_busy.close"
    assert wording_key(Reason.DESK_BUSY) == "desk_busy"


# ---------------------------------------------------------------------- the error


def test_an_error_words_itself_from_the_catalog() -> None:
    e = MotcuaError(Reason.UNKNOWN_SERVICE, service="xyz")
    assert e.code == "unknown_service" and e.code is Reason.UNKNOWN_SERVICE
    assert e.message == "Không có lĩnh vực “xyz”"
    assert e.message_en == "unknown service 'xyz'"
    assert e.detail == e.message_en and str(e) == "unknown_service: unknown service 'xyz'"
    assert e.text == Localized(e.message, e.message_en)


def test_a_variant_says_the_same_code_another_way() -> None:
    e = MotcuaError(Reason.DESK_BUSY, variant="close")
    assert e.code is Reason.DESK_BUSY
    assert e.message == "Hãy kết thúc số đang phục vụ trước khi đóng quầy"
    assert e.message_en == "finish the ticket first"


def test_the_detail_is_for_the_logs_and_fills_a_device_fault() -> None:
    e = MotcuaError(Reason.BAD_JSON, "not JSON: Expecting value at 0")
    assert e.message == "Yêu cầu không hợp lệ"
    assert e.message_en == e.detail == "not JSON: Expecting value at 0"
    e = MotcuaError(Reason.INTERNAL_ERROR, "KeyError: 'x'")
    assert e.detail == "KeyError: 'x'"
    assert e.message_en == "server error: no number was issued"


def test_localized_values_are_filled_in_each_language() -> None:
    e = MotcuaError(Reason.INVALID, variant="text_empty", what=Localized("lý do", "the reason"))
    assert (e.message, e.message_en) == ("Hãy ghi lý do", "give the reason")
    e = MotcuaError(
        Reason.BAD_NEW_DATE, variant="past", new=date(2026, 1, 2), today=date(2026, 1, 5)
    )
    assert e.message == "Ngày hẹn mới (02/01/2026) không được trước hôm nay (05/01/2026)"
    assert e.message_en == "the new date 2026-01-02 is before today (2026-01-05)"


# ---------------------------------------------------------------------- the mechanism


def test_the_catalog_falls_back_to_vietnamese_and_refuses_nfd() -> None:
    c = Catalog({"a": ("Còn {n} người", ""), "b": ("Hàng chờ", "Queue")})
    assert c.text("a", "en", n=3) == "Còn 3 người"
    assert c.text("b", "en") == "Queue" and c.text("b", "vi") == "Hàng chờ"
    assert c.both("a", n=2) == Localized("Còn 2 người", "")
    assert localized("Tư pháp", None, "en") == "Tư pháp"
    assert localized("Tư pháp", "Justice", "en") == "Justice"
    with pytest.raises(ValueError, match="NFC"):
        Catalog({"x": (unicodedata.normalize("NFD", "Hàng"), "Queue")})
    with pytest.raises(ValueError, match="twice"):
        c.merged(Catalog({"a": ("x", "y")}))


# ---------------------------------------------------------------------- every raise


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _refusal_classes(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """MotcuaError and every class deriving from it, by name."""
    bases: dict[str, set[str]] = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {n for b in node.bases if (n := _name(b))}
    found = {"MotcuaError"}
    while more := {c for c, b in bases.items() if c not in found and b & found}:
        found |= more
    return found


def _fields(template: str) -> set[str]:
    return {
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in string.Formatter().parse(template)
        if field
    }


def _check_call(call: ast.Call, where: str, worded: bool) -> list[str]:
    """What is wrong with one refusal raised (``worded``) or sent: its code, its
    variant, the values its sentence needs."""
    code = next((k.value for k in call.keywords if k.arg == "code"), None)
    if code is None and call.args:
        code = call.args[0]
    if code is None:
        return []
    if isinstance(code, ast.Constant):
        return [f"{where}: the code {code.value!r} is a bare string, not a Reason"]
    if not worded:
        return []
    if not (isinstance(code, ast.Attribute) and _name(code.value) == "Reason"):
        return []  # forwarded (``e.code``) or read from the wire (``as_reason``)
    if code.attr not in Reason.__members__:
        return [f"{where}: Reason.{code.attr} does not exist"]
    variant = next((k.value for k in call.keywords if k.arg == "variant"), None)
    if variant is not None and not isinstance(variant, ast.Constant):
        return []
    key = wording_key(Reason[code.attr], variant.value if variant else None)
    if key not in REFUSALS:
        return [f"{where}: no wording {key!r}"]
    given = {k.arg for k in call.keywords}
    if None in given:  # **values
        return []
    needed = _fields(REFUSALS[key].vi) | _fields(REFUSALS[key].en)
    missing = needed - given - {"detail"}
    return [f"{where}: {key!r} needs {sorted(missing)}"] if missing else []


def test_every_refusal_raised_names_a_reason_and_gives_what_its_sentence_needs() -> None:
    modules = list(_sources())
    classes = _refusal_classes(modules)
    assert {"QueueError", "Refused", "RatingRefused", "InvalidMessage", "KioskRefused"} <= classes
    problems: list[str] = []
    calls = 0
    for path, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in classes | {"Refusal"}:
                calls += 1
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                problems += _check_call(node, where, worded=_name(node.func) != "Refusal")
    assert calls > 50, "found the refusals"
    assert not problems, "\n".join(problems)
