"""``ticket``: the number, very large, with the queue ahead and the printing status.

When the ticket could not be printed the number stays with its QR code and what to do;
when no number could be issued at all, the screen shows why instead. A touch ends the
screen, but only after a lock (a second tap on the service button must not hide the
number just shown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.core import IssuedNumber, PrintOutcome
from kiosk.screens import load_kv
from protocol.i18n import Localized, localized
from touch_ui.i18n import tr
from touch_ui.qr import qr_image
from touch_ui.widgets import TouchScreen

load_kv("ticket")


class TicketScreen(TouchScreen):
    #: The number shown ("…" while it is being taken).
    number = StringProperty("…")
    #: The printing status is a fault (red) rather than news (grey).
    print_bad = BooleanProperty(False)
    #: Why no number could be issued (shown instead of the ticket).
    refusal = StringProperty("")

    def __init__(self, **kw: Any) -> None:
        self.issued: IssuedNumber | None = None
        self._priority_name: str | None = None
        self._print_key = ""
        self._refusal: Localized | None = None
        self._qr: Widget | None = None
        self._finish: Callable[[], None] | None = None
        self._finish_at = 0.0
        super().__init__(**kw)
        self._ticket_box = self.ids.ticket_box
        self._refusal_box = self.ids.refusal_box
        self.remove_widget(self._refusal_box)

    # ------------------------------------------------------------------ what is shown

    def show_number(
        self, issued: IssuedNumber | None, priority_name: str | None = None, printing: bool = False
    ) -> None:
        """The ticket of ``issued`` (None: "…" while the number is being taken)."""
        self._use(self._ticket_box)
        self._finish = None
        self.issued, self._priority_name = issued, priority_name
        self._set_qr(None)
        self._print_key = "printing" if issued is not None and printing else ""
        self.print_bad = False
        self.number = issued.number if issued else "…"
        self._render()

    def show_printed(self, outcome: PrintOutcome | None, link: str) -> None:
        """Printed; or not (``outcome`` None: no printer), then with ``link``'s QR code."""
        if outcome is not None and outcome.printed:
            self._print_key = "printed"
        else:
            # Not printed: the number stays, with its QR code and what to do.
            self._print_key = "print_failed" if outcome else "no_printer"
            self.print_bad = True
            self._set_qr(link)
        self._render()

    def show_refusal(self, message: Localized) -> None:
        self._finish = None
        self._refusal = message
        self._use(self._refusal_box)
        self._render()

    def _use(self, box: Widget) -> None:
        if box.parent is not self:
            self.clear_widgets()
            self.add_widget(box)

    def _set_qr(self, link: str | None) -> None:
        row = self.ids.print_row
        if self._qr is not None:
            row.remove_widget(self._qr)
            self._qr = None
        row.size_hint_y = 0.16 if link is None else 0.3
        if link is not None:
            self._qr = qr_image(link, size_hint_x=0.35)
            row.add_widget(self._qr)

    def _render(self) -> None:
        lang, issued, ids = self.lang, self.issued, self.ids
        service = priority = ahead = eta = ""
        if issued is not None:
            service = localized(issued.service_name, issued.service_name_en, lang)
            if issued.priority:
                name = self._priority_name or issued.priority
                priority = tr("priority_mark", lang, name=name)
            ahead = tr("people_ahead", lang, n=issued.people_ahead)
            eta = (
                tr("eta", lang, m=issued.eta_minutes)
                if issued.eta_minutes
                else tr("eta_soon", lang)
            )
        ids.service.show(service)
        ids.priority.show(priority)
        ids.ahead.show(ahead)
        ids.eta.show(eta)
        ids.print_status.show(tr(self._print_key, lang) if self._print_key else "")
        self.refusal = self._refusal.in_(lang) if self._refusal else ""

    def on_lang(self, *_a: Any) -> None:
        if self.ids:  # (not while the kv rules are still being applied)
            self._render()

    # ------------------------------------------------------------------ ending it

    def finish_on_touch(self, finish: Callable[[], None], lock_s: float) -> None:
        """From ``lock_s`` seconds on, a touch anywhere on the screen calls ``finish``."""
        self._finish = finish
        self._finish_at = Clock.get_boottime() + lock_s

    def on_touch_down(self, touch: Any) -> bool:
        if self._finish is None:
            return bool(super().on_touch_down(touch))
        if Clock.get_boottime() >= self._finish_at:
            self._finish()
            return True
        return False
