"""Text hygiene shared by every message: NFC normalisation and bounded lengths.

Vietnamese text reaches us both precomposed (NFC) and decomposed (NFD, e.g. from some
keyboards and macOS). Fonts and printers handle precomposed letters best, and equality,
sorting and length limits only make sense on one form, so every string is normalised to
NFC at each boundary.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints


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


#: Identifiers used in topics: lowercase ASCII, digits, dash and underscore.
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
#: A service code, e.g. ``tp`` (Tư pháp – Hộ tịch).
ServiceCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,15}$")]
#: A ticket number as printed, e.g. ``A023``.
TicketNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,2}[0-9]{3,4}$")]

Text40 = bounded_text(40)
ShortText = bounded_text(80)
Reason = bounded_text(200)
Text300 = bounded_text(300)
LongText = bounded_text(500)

NonNegative = Annotated[int, Field(ge=0, le=1_000_000)]
