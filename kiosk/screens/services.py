"""``services``: one button per service with its live waiting count and wait."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kiosk.core import ServiceButton
from kiosk.queue_line import queue_line
from kiosk.screens import load_kv
from protocol.i18n import Lang, localized
from touch_ui import theme
from touch_ui.i18n import tr
from touch_ui.widgets import BigButton, PressGuard, Text, TouchScreen

load_kv("services")


def service_text(svc: ServiceButton, lang: Lang) -> str:
    """The button's markup: the name in bold, the queue below in small type."""
    name = localized(svc.name, svc.name_en, lang)
    line = queue_line(svc, lang)
    small = int(theme.font(3))
    return f"[b]{name}[/b]" + (f"\n[size={small}]{line}[/size]" if line else "")


class ServicesScreen(TouchScreen):
    """Pressing a service (through the kiosk's press guard) calls ``on_choose(code)``."""

    def __init__(self, on_choose: Callable[[str], None], guard: PressGuard, **kw: Any) -> None:
        self._on_choose = on_choose
        self._guard = guard
        self._services: list[ServiceButton] = []
        self._buttons: dict[str, BigButton] = {}
        super().__init__(**kw)

    @property
    def empty(self) -> bool:
        return not self.ids.grid.children

    def fill(self, services: list[ServiceButton]) -> None:
        """Show ``services`` (the live counts change often, the list rarely)."""
        self._services = services
        buttons = self._buttons
        if services and [s.code for s in services] == list(buttons):
            # Only the live counts changed: update the text in place, so a finger
            # already on a button is not lost by rebuilding it.
            for svc in services:
                buttons[svc.code].text = service_text(svc, self.lang)
            return
        grid = self.ids.grid
        grid.clear_widgets()
        buttons.clear()
        if not services:
            grid.add_widget(Text(tr("no_services", self.lang), share=4))
            return
        for svc in services:
            button = BigButton(
                service_text(svc, self.lang),
                partial(self._on_choose, svc.code),
                tid=f"service-{svc.code}",
                share=4.2,
                guard=self._guard,
                size_hint_y=1,
            )
            buttons[svc.code] = button
            grid.add_widget(button)

    def on_lang(self, *_a: Any) -> None:
        if self.ids:  # (not while the kv rules are still being applied)
            self.fill(self._services)
