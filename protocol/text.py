"""Text hygiene shared by every message: NFC normalisation and bounded lengths.

Vietnamese text reaches us both precomposed (NFC) and decomposed (NFD, e.g. from some
keyboards and macOS). Fonts and printers handle precomposed letters best, and equality,
sorting and length limits only make sense on one form, so every string is normalised to
NFC at each boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from protocol.errors import MotcuaError
from protocol.i18n import Localized
from protocol.refusals import Reason


def nfc(value: str) -> str:
    """Return ``value`` in Unicode normalisation form C."""
    return unicodedata.normalize("NFC", value)


def _nfc_before(value: object) -> object:
    return nfc(value) if isinstance(value, str) else value


def _no_control_chars(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def bounded_text(max_length: int, min_length: int = 0) -> Any:
    """An NFC-normalised string type with a length bound counted after normalisation."""
    return Annotated[
        str,
        BeforeValidator(_nfc_before),
        StringConstraints(min_length=min_length, max_length=max_length, strip_whitespace=True),
        AfterValidator(_no_control_chars),
    ]


#: An identifier (device, desk, clerk, site, priority, conduct code; a topic level):
#: a lowercase ASCII letter or digit, then up to 31 of those, ``_`` and ``-``.
IDENTIFIER_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
#: A service code: as an identifier, at most 16 characters.
SERVICE_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,15}$"

#: Identifiers used in topics: lowercase ASCII, digits, dash and underscore.
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
#: A service code, e.g. ``tp`` (Tư pháp – Hộ tịch).
ServiceCode = Annotated[str, StringConstraints(pattern=SERVICE_CODE_PATTERN)]

Text40 = bounded_text(40)
ShortText = bounded_text(80)
ReasonText = bounded_text(200)
Text300 = bounded_text(300)
LongText = bounded_text(500)

NonNegative = Annotated[int, Field(ge=0, le=1_000_000)]


# ---------------------------------------------------------------- typed by people


class TextRefused(MotcuaError, ValueError):
    """Text a person typed that cannot be taken; its sentences (`protocol.refusals`) say
    why in Vietnamese and English."""


#: The type of the pydantic errors that carry a `TextRefused` (its messages in ``ctx``:
#: ``message`` in Vietnamese, ``message_en``), so an API can show them as they are.
REFUSED = "motcua_refused"


def _pydantic(check: Callable[[str], str]) -> Callable[[object], object]:
    """A before-validator running ``check`` on strings, its refusal as a pydantic error."""

    def validate(value: object) -> object:
        if not isinstance(value, str):
            return value  # the str validation after this one says what is wrong
        try:
            return check(value)
        except TextRefused as e:
            raise PydanticCustomError(
                REFUSED, "{message_en}", {"message": e.message, "message_en": e.message_en}
            ) from None

    return validate


def _invisible(ch: str, allowed: str = "") -> bool:
    """A control or format character (NUL, ESC, zero-width space, BOM, …)."""
    return unicodedata.category(ch) in ("Cc", "Cf") and ch not in allowed


#: Longest dossier code (mã hồ sơ) kept; the codes of the national one-stop system are
#: about 25 characters, e.g. ``000.00.25.H23-261105-0012``.
DOSSIER_CODE_MAX = 40
_DOSSIER_CHAR = re.compile(r"[A-Za-z0-9._/-]")


def check_dossier_code(value: str) -> str:
    """A dossier code as typed or scanned: NFC, stripped (a scanner may add a CR or a
    tab), 1–40 characters among ASCII letters, digits and ``. _ / -``; `TextRefused`
    otherwise."""
    code = nfc(value).strip()
    if not code:
        raise TextRefused(Reason.BAD_DOSSIER_CODE, variant="empty")
    if any(_invisible(ch) for ch in code):
        raise TextRefused(Reason.BAD_DOSSIER_CODE, variant="control")
    if len(code) > DOSSIER_CODE_MAX:
        raise TextRefused(
            Reason.BAD_DOSSIER_CODE,
            variant="too_long",
            max=DOSSIER_CODE_MAX,
            length=len(code),
        )
    bad = next((ch for ch in code if not _DOSSIER_CHAR.fullmatch(ch)), None)
    if bad is not None and bad.isspace():
        raise TextRefused(Reason.BAD_DOSSIER_CODE, variant="space")
    if bad is not None:
        raise TextRefused(Reason.BAD_DOSSIER_CODE, char=bad)
    return code


#: Mã hồ sơ (see `check_dossier_code`).
DossierCode = Annotated[
    str,
    BeforeValidator(_pydantic(check_dossier_code)),
    Field(
        min_length=1,
        max_length=DOSSIER_CODE_MAX,
        examples=["000.00.25.H23-261105-0012"],
    ),
]


def labelled_text(max_length: int, what: str, what_en: str, *, required: bool = True) -> Any:
    """Free text a person types (NFC, stripped; line breaks and tabs allowed, other
    control characters not), whose refusals name the field in both languages:
    ``what`` / ``what_en`` ("lý do" / "the reason")."""
    label = Localized(what, what_en)
    # Starting a sentence: capitalised in Vietnamese (English starts with "the").
    label_first = Localized(what[:1].upper() + what[1:], what_en)

    def check(value: str) -> str:
        text = nfc(value).strip()
        if required and not text:
            raise TextRefused(Reason.INVALID, variant="text_empty", what=label)
        if any(_invisible(ch, "\n\t") for ch in text):
            raise TextRefused(Reason.INVALID, variant="text_control", What=label_first, what=label)
        if len(text) > max_length:
            raise TextRefused(
                Reason.INVALID,
                variant="text_too_long",
                What=label_first,
                what=label,
                max=max_length,
                length=len(text),
            )
        return text

    return Annotated[
        str,
        BeforeValidator(_pydantic(check)),
        Field(min_length=1 if required else 0, max_length=max_length),
    ]
