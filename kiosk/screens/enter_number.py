"""``enter_number``: "rate a visit" starts by typing the number printed on the ticket.

A keypad with the service letters of this office and the digits; a letter starts a new
number, at most 6 characters. What the typed text means is the app's business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.screens import load_kv
from protocol.i18n import Lang
from touch_ui.i18n import tr
from touch_ui.widgets import Keypad, TouchScreen

load_kv("enter_number")

#: The keypad's command keys and the i18n key of their labels.
COMMANDS = [("clear", "clear"), ("back", "back"), ("ok", "next")]


class EnterNumberScreen(TouchScreen):
    """``on_ok(typed)`` says whether the typed text is a number (else a hint shows);
    ``on_back()`` leaves."""

    typed = StringProperty("")
    #: The last "ok" was not a ticket number ("Số chưa đúng, ví dụ: A023").
    bad_number = BooleanProperty(False)

    def __init__(
        self, on_ok: Callable[[str], bool], on_back: Callable[[], None], **kw: Any
    ) -> None:
        self._on_ok, self._on_back = on_ok, on_back
        self._keypad: Keypad | None = None
        self._letters: list[str] | None = None
        super().__init__(**kw)

    def start(self, letters: list[str]) -> None:
        """Empty, with ``letters`` (the service prefixes) on the keypad."""
        self.typed = ""
        self.bad_number = False
        self.set_letters(letters)

    def set_letters(self, letters: list[str]) -> None:
        """The keypad's letter row (rebuilt only when the office's prefixes changed)."""
        if letters == self._letters and self._keypad is not None:
            return
        self._letters = letters
        if self._keypad is not None:
            self.ids.box.remove_widget(self._keypad)
        extra = [(code, tr(label, self.lang)) for code, label in COMMANDS]
        self._keypad = Keypad(self.key, letters=letters, extra=extra)
        self.ids.box.add_widget(self._keypad)

    def key(self, key: str) -> None:
        if key == "back":
            self._on_back()
            return
        if key == "clear":
            self.typed = ""
        elif key == "ok":
            if not self._on_ok(self.typed):
                self.bad_number = True
            return
        elif key.isalpha():
            restart = any(c.isdigit() for c in self.typed) or len(self.typed) >= 2
            self.typed = key if restart else self.typed + key
        elif len(self.typed) < 6:
            self.typed += key
        self.bad_number = False

    def on_lang(self, _w: Any, lang: Lang) -> None:
        if self._keypad is not None:
            for code, label in COMMANDS:
                self._keypad.extra_buttons[code].text = tr(label, lang)
