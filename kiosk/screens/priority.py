"""``priority``: a regular number, or one of the priority categories (người cao tuổi, …)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kiosk.screens import load_kv
from protocol.i18n import localized
from protocol.messages import PriorityInfo
from touch_ui.widgets import BigButton, PressGuard, TouchScreen

load_kv("priority")


class PriorityScreen(TouchScreen):
    """A press (through the kiosk's press guard) calls ``on_choose(code or None)``."""

    def __init__(
        self, on_choose: Callable[[str | None], None], guard: PressGuard, **kw: Any
    ) -> None:
        self._on_choose = on_choose
        self._guard = guard
        self._buttons: list[tuple[BigButton, PriorityInfo]] = []
        super().__init__(**kw)
        self.ids.none.guard = guard

    def choose(self, code: str | None) -> None:
        self._on_choose(code)

    def show(self, priorities: list[PriorityInfo]) -> None:
        """The categories the server offers today, two to a row."""
        grid = self.ids.grid
        grid.clear_widgets()
        self._buttons.clear()
        for p in priorities:
            button = BigButton(
                localized(p.name, p.name_en, self.lang),
                partial(self.choose, p.code),
                tid=f"priority-{p.code}",
                share=3.6,
                primary=False,
                guard=self._guard,
                size_hint_y=1,
            )
            self._buttons.append((button, p))
            grid.add_widget(button)

    def on_lang(self, _w: Any, lang: str) -> None:
        for button, p in self._buttons:
            button.text = localized(p.name, p.name_en, lang)
