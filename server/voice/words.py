"""How a call is read aloud: Vietnamese number words, letter names, the whole sentence.

Pure functions and the vocabulary (every clip an announcement can use), apart from the
audio so that the readings can be tested and reused (the sentence as text, for a screen)
without espeak-ng.

Readings follow Northern usage: 105 "một trăm linh năm" (not "lẻ"), 1000 "một nghìn" (not
"ngàn"), 24 "hai mươi tư" ("tư" rather than "bốn" after "mươi"; "mười bốn" for 14).
"""

from __future__ import annotations

from protocol.numbers import NUMBER_PARTS

OPENING = "Mời công dân có số"
TO_DESK = "đến quầy số"
PHRASES = (OPENING, TO_DESK)

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
NUMBER_VOCABULARY = (*DIGITS, "mốt", "tư", "lăm", "mười", "mươi", "trăm", "linh", "nghìn")

LETTER_NAMES: dict[str, str] = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "J": "gi",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê kép",
    "X": "ích-xì",
    "Y": "i dài",
    "Z": "dét",
}

#: Every clip an announcement can use; a clip's key is its text.
VOCABULARY: tuple[str, ...] = tuple(
    dict.fromkeys((*PHRASES, *LETTER_NAMES.values(), *NUMBER_VOCABULARY))
)

#: What espeak-ng is given for a clip it misreads as spelled: "gi" alone comes out as a
#: bare buzz (phonemes ``z``), "di" is the same syllable /zi/ in Northern speech.
SPOKEN: dict[str, str] = {"gi": "di"}


def spoken(text: str) -> str:
    """What espeak-ng is given to say ``text`` (`SPOKEN`, else the text itself)."""
    return SPOKEN.get(text, text)


def number_words(n: int) -> list[str]:
    """How ``n`` (0..9999) is read aloud, one word per element."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 9999:
        raise ValueError(f"cannot read {n!r}: expected an integer 0..9999")
    if n == 0:
        return [DIGITS[0]]
    thousands, rest = divmod(n, 1000)
    hundreds, below = divmod(rest, 100)
    words: list[str] = []
    if thousands:
        words += [DIGITS[thousands], "nghìn"]
    if hundreds or (thousands and below):
        words += [DIGITS[hundreds], "trăm"]  # 1005: "một nghìn không trăm linh năm"
    return words + _below_hundred(below, after_hundreds=bool(thousands or hundreds))


def _below_hundred(n: int, *, after_hundreds: bool) -> list[str]:
    tens, units = divmod(n, 10)
    if n == 0:
        return []
    if tens == 0:
        return ["linh", DIGITS[units]] if after_hundreds else [DIGITS[units]]
    if tens == 1:
        unit = {0: [], 5: ["lăm"]}.get(units, [DIGITS[units]])
        return ["mười", *unit]
    unit = {0: [], 1: ["mốt"], 4: ["tư"], 5: ["lăm"]}.get(units, [DIGITS[units]])
    return [DIGITS[tens], "mươi", *unit]


def letter_name(ch: str) -> str:
    """How a ticket's prefix letter is read aloud ("B" → "bê")."""
    try:
        return LETTER_NAMES[ch]
    except KeyError:
        raise ValueError(f"no Vietnamese name for letter {ch!r}") from None


def _parse_ticket(number: str) -> tuple[str, int]:
    m = NUMBER_PARTS.fullmatch(number) if isinstance(number, str) else None
    if m is None:
        raise ValueError(f"not a ticket number: {number!r} (expected e.g. A023, AB105)")
    return m[1], int(m[2])


def _check_desk(desk_number: int) -> None:
    if isinstance(desk_number, bool) or not isinstance(desk_number, int) or desk_number < 1:
        raise ValueError(f"not a desk number: {desk_number!r}")


def call_words(number: str, desk_number: int) -> list[str]:
    """Clip keys of the whole sentence; leading zeros are not read (A023 → 23)."""
    letters, value = _parse_ticket(number)
    _check_desk(desk_number)
    return [
        OPENING,
        *(letter_name(ch) for ch in letters),
        *number_words(value),
        TO_DESK,
        *number_words(desk_number),
    ]


def call_text(number: str, desk_number: int) -> str:
    """The sentence as text (NFC), for the screen: the prefix as written, numbers as words."""
    letters, value = _parse_ticket(number)
    _check_desk(desk_number)
    return " ".join([OPENING, letters, *number_words(value), TO_DESK, *number_words(desk_number)])
