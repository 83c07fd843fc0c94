"""``welcome``: the office's name, "Xin chào!", take a number, rate a visit, English."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.screens import load_kv
from touch_ui.widgets import TouchScreen

load_kv("welcome")


class WelcomeScreen(TouchScreen):
    #: The office's name from the server's catalogue, in Vietnamese and in English.
    office = StringProperty("")
    office_en = StringProperty("")

    def __init__(self, *, rate_visit: bool = True, **kw: Any) -> None:
        super().__init__(**kw)
        if not rate_visit:  # the kiosk does not offer "rate a visit"
            self.ids.box.remove_widget(self.ids.rate_visit)
