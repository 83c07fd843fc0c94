"""Ticket numbers (`protocol.numbers`): format and parse are inverses, what people type
is read forgivingly, and the kiosk and the server write a number the same way (if they
ever differed, every offline ticket would be refused as ``not_in_reserve``)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from protocol.messages import ReserveBlock
from protocol.numbers import (
    MAX_SEQ,
    NUMBER_PARTS,
    NUMBER_PATTERN,
    Prefix,
    TicketNumber,
    format_number,
    is_prefix,
    normalise_typed,
    parse_number,
)
from server.queue.reserve import _reserve_seq  # the server's check of an offline number

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=2)
SEQS = st.integers(min_value=0, max_value=MAX_SEQ)
NUMBER = TypeAdapter(TicketNumber)
PREFIX = TypeAdapter(Prefix)


@given(PREFIXES, SEQS)
def test_format_then_parse_round_trips(prefix: str, seq: int) -> None:
    number = format_number(prefix, seq)
    assert parse_number(number) == (prefix, seq)
    assert NUMBER.validate_python(number) == number  # what the messages accept
    assert re.fullmatch(NUMBER_PATTERN, number)


@given(st.from_regex(NUMBER_PATTERN, fullmatch=True))
def test_parse_then_format_gives_the_number_back_or_refuses_it(number: str) -> None:
    parsed = parse_number(number)
    if parsed is None:  # only numbers not written the server's way: A0505
        digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        assert len(digits) == 4 and digits.startswith("0")
    else:
        assert format_number(*parsed) == number


@pytest.mark.parametrize(
    ("prefix", "seq", "number"),
    [("A", 7, "A007"), ("B", 999, "B999"), ("B", 1000, "B1000"), ("AB", 105, "AB105")],
)
def test_format_number(prefix: str, seq: int, number: str) -> None:
    assert format_number(prefix, seq) == number


@pytest.mark.parametrize(
    "text", ["", "A", "023", "a023", "A23", "A0505", "A12345", "ABC123", "Đ023", "A٢٣", "A023 "]
)
def test_parse_refuses_what_the_server_never_writes(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("A23", "A023"),
        ("a023", "A023"),
        ("B1", "B001"),
        ("A1234", "A1234"),
        (" a 23 ", "A023"),
        ("A-23", "A023"),
        ("ａ２３", "A023"),  # full-width, from an East Asian input method
        ("Ａ０２３", "A023"),
        ("ab\u00a0105", "AB105"),  # a no-break space
        ("A0505", "A505"),
        ("Z12", None),  # not a prefix of this office
        ("A12345", None),
        ("A", None),
        ("23", None),
        ("Đ023", None),
        ("A٢٣", None),  # Arabic-Indic digits are not ours
        ("", None),
    ],
)
def test_normalise_typed(typed: str, expected: str | None) -> None:
    assert normalise_typed(typed, ["A", "B", "AB"]) == expected


def test_normalise_typed_without_prefixes_takes_any_prefix() -> None:
    assert normalise_typed("zz9") == "ZZ009"


@given(PREFIXES, SEQS, st.sampled_from([str.lower, str.upper, lambda s: f" {s} "]))
def test_typing_a_printed_number_gives_it_back(prefix: str, seq: int, how: object) -> None:
    number = format_number(prefix, seq)
    assert callable(how)
    typed = how(number)
    assert normalise_typed(typed, [prefix]) == number
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)  # full-width forms
    assert normalise_typed(wide, [prefix]) == number
    assert unicodedata.is_normalized("NFC", normalise_typed(typed) or "")


@given(st.text(max_size=12))
def test_normalise_typed_never_raises_and_gives_a_valid_number(text: str) -> None:
    out = normalise_typed(text)
    assert out is None or NUMBER.validate_python(out) == out


@given(PREFIXES, st.integers(min_value=0, max_value=MAX_SEQ - 30), st.integers(0, 29))
def test_kiosk_and_server_agree_on_reserve_numbers(prefix: str, first: int, k: int) -> None:
    """The kiosk prints ``format_number(block.prefix, seq)`` (kiosk.core); the server
    takes an offline ticket only if its number, parsed its own way, is that prefix and
    a sequence inside the block (server.queue.reserve)."""
    block = ReserveBlock(service="tp", prefix=prefix, first=first, last=first + 29)
    seq = block.first + k
    printed = format_number(block.prefix, seq)
    assert _reserve_seq(printed, block.prefix) == seq
    assert parse_number(printed) == (block.prefix, seq)
    assert NUMBER_PARTS.fullmatch(printed)  # the board can read it aloud


def test_prefix_rule() -> None:
    for good in ("A", "TP"):
        assert is_prefix(good) and PREFIX.validate_python(good) == good
    for bad in ("", "a", "ABC", "Đ", "A1"):
        assert not is_prefix(bad)
        with pytest.raises(ValidationError):
            PREFIX.validate_python(bad)


#: Where a number's grammar or format could be written again by mistake.
_COPIES = (
    re.compile(r"\[A-Z\]\{1,2\}"),  # the prefix
    re.compile(r"\{[a-z_.]*seq[a-z_.]*:0?3d\}"),  # f"{prefix}{seq:03d}"
)
_PACKAGES = ("protocol", "server", "kiosk", "rating_pad", "touch_ui", "motcua", "ticket_printer")


def test_the_number_grammar_is_written_in_one_module() -> None:
    found = []
    for package in _PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "protocol" / "numbers.py":
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(ROOT)}: {p.pattern}" for p in _COPIES if p.search(text)]
    assert found == [], "use protocol.numbers instead"
