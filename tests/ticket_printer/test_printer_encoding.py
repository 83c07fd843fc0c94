"""Vietnamese survives the trip to the printer: every letter, every tone, both code pages."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticket_printer import PrinterProfile
from ticket_printer.encoding import (
    Cp1258Encoder,
    Tcvn3Encoder,
    page_decoders,
    vietnamese_letters,
)
from ticket_printer.escpos.decoder import Decoder, decode_for_profile
from ticket_printer.escpos.tokens import tokens
from ticket_printer.render import render_test_page, render_ticket

LETTERS = vietnamese_letters()
LOWER = vietnamese_letters("lower")
UPPER = vietnamese_letters("upper")


def test_there_are_134_vietnamese_letters_67_per_case() -> None:
    assert len(LETTERS) == len(set(LETTERS)) == 134
    assert len(LOWER) == len(UPPER) == 67
    assert all(len(c) == 1 and unicodedata.is_normalized("NFC", c) for c in LETTERS)
    # 12 vowels × 5 tones + ă â ê ô ơ ư đ; plain a e i o u y are ASCII and not counted.
    assert {"ố", "ự", "ỹ", "ặ", "đ", "ư"} <= set(LOWER)
    assert {"Ố", "Ự", "Ỹ", "Ặ", "Đ", "Ư"} <= set(UPPER)
    assert not set("aeiouyAEIOUY") & set(LETTERS)


@pytest.mark.parametrize("mode", ["tcvn3", "cp1258"])
@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_every_letter_round_trips_through_a_ticket(mode: str, form: str, make_ticket) -> None:
    profile = PrinterProfile(mode=mode)
    groups = [
        unicodedata.normalize(form, " ".join(g))
        for g in (LOWER[:40], LOWER[40:], UPPER[:40], UPPER[40:])
    ]
    if form == "NFD":
        assert groups[0] != " ".join(LOWER[:40])  # really decomposed input
    ticket = make_ticket(
        office_name=groups[0], service_name=groups[1], footer=groups[2], priority=groups[3]
    )
    data = render_ticket(ticket, profile)
    job = decode_for_profile(data, profile)
    printed = " ".join(job.text_lines).split()
    for letter in LETTERS:
        assert letter in printed, f"{letter!r} ({unicodedata.name(letter)}) lost in {mode}"
    assert set(job.codepages) <= profile.allowed_pages
    assert job.codepages, "the code page must be selected explicitly"


@pytest.mark.parametrize("mode", ["tcvn3", "cp1258"])
def test_test_page_prints_all_134_letters_with_allowed_pages_only(mode: str) -> None:
    profile = PrinterProfile(mode=mode)
    job = decode_for_profile(render_test_page(profile), profile)
    printed = set(job.text)
    assert set(LETTERS) <= printed
    assert set(job.codepages) <= profile.allowed_pages
    if mode == "tcvn3":
        assert set(job.codepages) == {30, 31}  # capitals live on the second page


def _round_trip(encoder, pages, text: str) -> str:
    data = encoder.select_initial() + encoder.encode(text) + b"\n"
    return Decoder(pages).decode(data).text_lines[0]


vietnamese_text = st.text(
    alphabet=st.sampled_from(list(LETTERS) + list("aeiouyAEIOUYbcdghklmnpqrstvx .,:0123456789")),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() == s and "  " not in s)


@settings(max_examples=150, deadline=None)
@given(text=vietnamese_text, nfd=st.booleans())
def test_any_vietnamese_text_round_trips(text: str, nfd: bool) -> None:
    source = unicodedata.normalize("NFD", text) if nfd else text
    pages = page_decoders()
    assert _round_trip(Tcvn3Encoder(), pages, source) == text
    assert _round_trip(Cp1258Encoder(), pages, source) == text


def test_capital_d_with_stroke_is_fixed_on_page_31() -> None:
    encoder = Tcvn3Encoder()
    encoder.select_initial()
    data = encoder.encode("Đ")
    assert data == b"\x1bt\x1f\xa7"  # python-escpos's table files Đ under U+00D0 (Ð)
    decoded = _round_trip(Tcvn3Encoder(), page_decoders(), "ĐỒNG ĐẤT")
    assert decoded == "ĐỒNG ĐẤT" and "\u00d0" not in decoded


def test_tcvn3_switches_pages_only_when_a_letter_needs_it() -> None:
    encoder = Tcvn3Encoder()
    start = encoder.select_initial()
    lowercase = encoder.encode("Thời gian chờ dự kiến: khoảng 12 phút")
    assert start == b"\x1bt\x1e" and b"\x1bt" not in lowercase
    mixed = encoder.encode("ƯU TIÊN - Người cao tuổi")
    assert mixed.count(b"\x1bt") == 2  # to capitals for "Ư…Ê", back for "ư"
    assert encoder.encode("ĐỂ").count(b"\x1bt") == 1


def test_cp1258_uses_one_page_and_combining_tones() -> None:
    encoder = Cp1258Encoder()
    assert encoder.select_initial() == b"\x1bt4"  # ESC t 52
    data = encoder.encode("Số người")
    assert b"\x1bt" not in data
    # ố = ô (0xF4) + combining acute (0xEC); ư (0xFD) ờ = ơ (0xF5) + grave (0xCC)
    assert data == b"S\xf4\xec ng\xfd\xf5\xcci"


def test_rongta_style_page_numbers_are_configurable() -> None:
    profile = PrinterProfile(mode="cp1258", cp1258_page=35)
    job = decode_for_profile(render_test_page(profile), profile)
    assert set(job.codepages) == {35} and set(LETTERS) <= set(job.text)


def test_code_page_is_resent_after_every_init(ticket) -> None:
    for profile in (
        PrinterProfile(),
        PrinterProfile(chinese_firmware=True),
        PrinterProfile(mode="cp1258"),
    ):
        data = render_ticket(ticket, profile) + render_ticket(ticket, profile)
        kinds = [(t.kind, t.args) for t in tokens(data)]
        inits = [i for i, (kind, _) in enumerate(kinds) if kind == "esc_@"]
        assert len(inits) == 2
        first_page = min(profile.allowed_pages) if profile.mode == "tcvn3" else 52
        for i in inits:
            after = kinds[i + 1 : i + 3]
            if profile.chinese_firmware:
                assert after[0] == ("fs_.", ())  # FS . leaves Kanji mode first
                after = after[1:]
            assert after[0] == ("esc_t", (first_page,))


def test_text_that_no_page_holds_degrades_to_ascii(make_ticket) -> None:
    profile = PrinterProfile()
    job = decode_for_profile(render_ticket(make_ticket(footer="“Cảm ơn” … ★"), profile), profile)
    assert job.text_lines[-1] == '"Cảm ơn" ... ?'


def test_control_characters_cannot_smuggle_printer_commands(make_ticket) -> None:
    profile = PrinterProfile()
    evil = make_ticket(office_name="UBND\x1b@\x1dVA\x00 xã", service_name="Hộ\x1bt\x10 tịch")
    job = decode_for_profile(render_ticket(evil, profile), profile)
    assert job.inits == 1 and len(job.cuts) == 1
    assert set(job.codepages) <= {30, 31}
    assert job.text_lines[0] == "UBND @ VA xã"
