"""Ticket numbers: the one place that says what a number looks like.

A ticket number is a service **prefix** of one or two capital letters and the day's
**sequence** number of that service, written with at least three digits: ``A`` and 23
give ``A023``; past 999 the sequence simply grows to four digits (``B1000``). Sequences
stop at 9999 (the site configuration refuses a reserve zone that would pass it).

The server issues online numbers, a kiosk issues offline ones from its reserve block,
and the server checks an offline number by writing it again its own way (``A0505`` is
refused: it is not how ``A`` + 505 is written). Both therefore call `format_number`
here, so the two can never disagree.

Kept apart from `protocol.text` because a number is more than bounded text: it has a
grammar, a canonical form, a parser and the forgiving reading of what people type
(`normalise_typed`), used by the kiosk's "rate a visit" keypad and the clerk's screens.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import Annotated

from pydantic import StringConstraints

#: A service prefix: one or two capital ASCII letters (``A``, ``TP``).
PREFIX_PATTERN = r"^[A-Z]{1,2}$"
#: A ticket number on the wire: prefix + 3 or 4 ASCII digits (``A023``, ``AB1000``).
NUMBER_PATTERN = r"^[A-Z]{1,2}[0-9]{3,4}$"
#: A prefix and 1–4 digits, zeros not padded yet (``A23``): what is read aloud and typed.
#: Groups: 1 the prefix, 2 the digits. Use ``fullmatch``; ``[0-9]``, unlike ``\d``,
#: matches ASCII digits only.
NUMBER_PARTS = re.compile(r"([A-Z]{1,2})([0-9]{1,4})")

#: Digits a sequence is padded to.
MIN_DIGITS = 3
#: Highest sequence of a day (four digits).
MAX_SEQ = 9999

_PREFIX = re.compile(PREFIX_PATTERN)
_NUMBER = re.compile(NUMBER_PATTERN)
#: What people put between the prefix and the digits ("A 23", "A-23", "A.23").
_SEPARATORS = frozenset("-_.·")

#: A service prefix (site configuration, reserve blocks, catalogue).
Prefix = Annotated[str, StringConstraints(pattern=PREFIX_PATTERN)]
#: A ticket number as printed, e.g. ``A023``.
TicketNumber = Annotated[str, StringConstraints(pattern=NUMBER_PATTERN)]


def format_number(prefix: str, seq: int) -> str:
    """``A`` + 23 → ``A023``; past 999 the counter simply grows to four digits."""
    return f"{prefix}{seq:0{MIN_DIGITS}d}"


def parse_number(number: str) -> tuple[str, int] | None:
    """``A023`` → ``("A", 23)``; ``None`` unless ``number`` is written the way
    `format_number` writes it (``A0505``, ``A23``, ``a023`` are not)."""
    if not _NUMBER.fullmatch(number):
        return None
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    prefix, seq = number[: len(number) - len(digits)], int(digits)
    return (prefix, seq) if format_number(prefix, seq) == number else None


def is_prefix(text: str) -> bool:
    """Is ``text`` a valid service prefix?"""
    return _PREFIX.fullmatch(text) is not None


def normalise_typed(typed: str, prefixes: Collection[str] = ()) -> str | None:
    """A number as a citizen or a clerk types it → the number as printed, or ``None``
    if it cannot be one.

    Forgiving about what a keypad or a keyboard gives: full-width letters and digits
    (``Ａ２３``, from Vietnamese and CJK input methods) and other compatibility forms
    become ASCII (NFKC, which also leaves the text NFC), lower case is raised, and
    spaces and ``- _ . ·`` anywhere are dropped; then the prefix and 1–4 digits are
    written the server's way: ``a 23`` → ``A023``, ``b1`` → ``B001``. With ``prefixes``
    given, a prefix outside them gives ``None``. Other scripts' digits (``A٢٣``) and
    letters with diacritics (``Đ023``) are not numbers.
    """
    text = unicodedata.normalize("NFKC", typed)
    text = "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)
    m = NUMBER_PARTS.fullmatch(text.upper())
    if m is None or (prefixes and m.group(1) not in prefixes):
        return None
    return format_number(m.group(1), int(m.group(2)))
