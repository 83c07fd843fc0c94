"""The one translation mechanism: texts keyed by a code, Vietnamese first, English second.

The web pages, the touch apps, the command line and the refusal messages all keep their
wording in a `Catalog` and ask it for a text in a language. The fallback rule lives here
and nowhere else: English when English is asked for and exists, otherwise Vietnamese.
Placeholders are ``str.format`` fields (``"Còn {n} người"``); a value that is itself a
`Localized` is filled in the language being written (a field's name in an error, say).
Every text is NFC (checked when the catalog is built), so Kivy's fonts and the printer
draw precomposed letters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Literal, NamedTuple

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"


def as_lang(value: str | None) -> Lang:
    """A supported language from a cookie, a setting or a header value (else Vietnamese)."""
    return "en" if value == "en" else "vi"


class Localized(NamedTuple):
    """One text in both languages. ``en`` may be empty: Vietnamese is then shown."""

    vi: str
    en: str = ""

    def in_(self, lang: str) -> str:
        """The text in ``lang``, falling back to Vietnamese."""
        return self.en if lang == "en" and self.en else self.vi

    def format(self, **values: object) -> Localized:
        """Both texts with their placeholders filled."""
        return Localized(
            self.vi.format(**_values_in(values, "vi")), self.en.format(**_values_in(values, "en"))
        )


def _values_in(values: Mapping[str, object], lang: str) -> dict[str, object]:
    """Placeholder values for ``lang``: a `Localized` value is given in that language."""
    return {k: v.in_(lang) if isinstance(v, Localized) else v for k, v in values.items()}


def localized(vi: str, en: str | None, lang: str) -> str:
    """A configured name and its optional English form (a service, a desk) in ``lang``."""
    return Localized(vi, en or "").in_(lang)


class Catalog(Mapping[str, Localized]):
    """Texts keyed by code. ``catalog.text("key", "en", n=3)``."""

    def __init__(self, entries: Mapping[str, tuple[str, str] | Localized]) -> None:
        self._entries = {key: Localized(*value) for key, value in entries.items()}
        for key, value in self._entries.items():
            for part in value:
                if unicodedata.normalize("NFC", part) != part:
                    raise ValueError(f"catalog text {key!r} is not NFC: {part!r}")

    def __getitem__(self, key: str) -> Localized:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def text(self, key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
        """The text for ``key`` in ``lang`` with its placeholders filled."""
        template = self._entries[key].in_(lang)
        return template.format(**_values_in(values, lang)) if values else template

    def both(self, key: str, **values: object) -> Localized:
        """The text for ``key`` in both languages (for a reply that carries both)."""
        return self._entries[key].format(**values)

    def merged(self, *others: Catalog) -> Catalog:
        """This catalog with others' entries added (a key defined twice is an error)."""
        entries = dict(self._entries)
        for other in others:
            clash = entries.keys() & other.keys()
            if clash:
                raise ValueError(f"keys defined twice: {sorted(clash)}")
            entries.update(other._entries)
        return Catalog(entries)
