"""The kiosk app (Kivy): its screens, navigation and timers. Import only after
``touch_ui.boot.configure``.

welcome → services (live waiting count and wait) → priority (optional) → ticket
(number very large; printing; on a printer fault the number stays with its QR code)
→ welcome. "Rate a visit": welcome → ticket number keypad → the shared rating flow.

Each screen is a module of ``kiosk/screens`` with its ``.kv`` layout; taking and printing
a number is ``kiosk/flow.py``. This class wires them to the core and decides which
screen shows: it implements the flow's ``IssueView``.
"""

from __future__ import annotations

import threading
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout

from kiosk.config import KioskConfig
from kiosk.core import IssuedNumber, KioskCore, PrintOutcome
from kiosk.flow import IssueFlow
from kiosk.screens.enter_number import EnterNumberScreen
from kiosk.screens.priority import PriorityScreen
from kiosk.screens.services import ServicesScreen
from kiosk.screens.ticket import TicketScreen
from kiosk.screens.welcome import WelcomeScreen
from protocol.i18n import Localized
from protocol.numbers import normalise_typed
from touch_ui.rating_flow import RatingAnswer, RatingFlow
from touch_ui.shell import TouchApp
from touch_ui.widgets import PressGuard


class KioskApp(TouchApp):
    title = "motcua – kiosk"

    core: KioskCore

    def __init__(self, config: KioskConfig, core: KioskCore, **kw: Any) -> None:
        super().__init__(config, core, **kw)
        self.cfg = config
        self.guard = PressGuard(config.kiosk.press_guard_s)
        self.issuer = IssueFlow(core, self)
        #: The number on screen now (tests and the health report read it).
        self.current: IssuedNumber | None = None
        self.last_print: PrintOutcome | None = None
        self._service: str | None = None
        self._back_ev: Any = None
        self.admin_actions = [(self.tr("admin_test_page"), self._test_page)]

    @property
    def busy(self) -> bool:
        return self.issuer.busy

    def build(self) -> BoxLayout:
        self.welcome = WelcomeScreen(rate_visit=self.cfg.kiosk.rate_visit)
        self.services = ServicesScreen(self._chose_service, self.guard)
        self.priority = PriorityScreen(self._issue, self.guard)
        self.ticket = TicketScreen()
        self.enter_number = EnterNumberScreen(self._typed_ok, lambda: self.go("welcome"))
        root = self.make_root(
            [self.welcome, self.services, self.priority, self.ticket, self.enter_number]
        )
        k = self.cfg.kiosk
        self.flow = RatingFlow(self.sm, min_gap_s=k.rating_gap_s, thanks_s=k.rating_thanks_s)
        self.refresh()
        return root

    # ------------------------------------------------------------------ live data

    def refresh(self) -> None:
        if self.sm.current == "services" or self.services.empty:
            self.services.fill(self.core.services())
        self.welcome.office, self.welcome.office_en = self.core.office_name
        if self.sm.current != "enter_number":
            self.enter_number.set_letters(self.core.known_prefixes())
        self.update_banner()

    # ------------------------------------------------------------------ navigation

    def go(self, name: str) -> None:
        if self._back_ev is not None:
            self._back_ev.cancel()
            self._back_ev = None
        if name == "services":
            self.services.fill(self.core.services())
        self.sm.current = name

    def on_idle(self) -> None:
        if self.flow.active:
            self.flow.timeout()
        if self.sm.current != "welcome" and not self.busy:
            self.go("welcome")

    def _back_later(self, seconds: float) -> None:
        """Back to welcome after ``seconds``, or at a touch once the touch lock is over."""
        if self._back_ev is not None:
            self._back_ev.cancel()
        self._back_ev = Clock.schedule_once(lambda _dt: self.go("welcome"), seconds)
        self.ticket.finish_on_touch(lambda: self.go("welcome"), self.cfg.kiosk.touch_lock_s)

    # ------------------------------------------------------------------ the number

    def _chose_service(self, code: str) -> None:
        if self.busy:
            return
        self._service = code
        if self.cfg.kiosk.ask_priority and self.core.priorities():
            self.priority.show(self.core.priorities())
            self.go("priority")
        else:
            self._issue(None)

    def _issue(self, priority: str | None) -> None:
        if self._service is not None:
            self.issuer.issue(self._service, priority)

    # IssueView: what kiosk.flow shows, on Kivy's thread.

    def show_waiting(self) -> None:
        self.current = None
        self.ticket.show_number(None)
        self.sm.current = "ticket"

    def show_number(self, issued: IssuedNumber) -> None:
        self.current = issued
        name = self.issuer.priority_name(issued.priority)
        self.ticket.show_number(issued, name, printing=self.core.printer is not None)
        self.sm.current = "ticket"

    def show_printed(self, issued: IssuedNumber, outcome: PrintOutcome | None) -> None:
        self.last_print = outcome
        self.ticket.show_printed(outcome, self.core.ticket_link(issued))
        k = self.cfg.kiosk
        printed = outcome is not None and outcome.printed
        self._back_later(k.fault_screen_s if outcome and not printed else k.ticket_screen_s)

    def show_refusal(self, message: Localized) -> None:
        self.ticket.show_refusal(message)
        self.sm.current = "ticket"
        self._back_later(self.cfg.kiosk.ticket_screen_s)

    # ------------------------------------------------------------------ rate a visit

    def start_rate_visit(self) -> None:
        self.enter_number.start(self.core.known_prefixes())
        self.go("enter_number")

    def _typed_ok(self, typed: str) -> bool:
        number = normalise_typed(typed, self.core.known_prefixes())
        if number is None:
            return False
        self.flow.begin(number, self._submit_rating, lambda: self.go("welcome"))
        return True

    def _submit_rating(self, answer: RatingAnswer) -> None:
        self.core.rate_visit(
            answer.number, answer.level, answer.praised, answer.reasons, partial=answer.partial
        )

    # ------------------------------------------------------------------ admin

    def _test_page(self) -> None:
        printer = self.core.printer
        if printer is not None:
            threading.Thread(target=printer.print_test_page, daemon=True).start()

    def describe(self) -> dict[str, Any]:
        """What the kiosk shows and knows now (tests, logs, support)."""
        cur = self.current
        return {
            "screen": self.sm.current,
            "busy": self.busy,
            "online": self.core.online,
            "banner": self.banner.text,
            "number": cur.number if cur else None,
            "ticket_id": str(cur.ticket_id) if cur else None,
            "offline_number": cur.offline if cur else None,
            "printed": self.last_print.printed if self.last_print else None,
            "printer": self.core.printer_state.value if self.core.printer_state else None,
            "services": [s.code for s in self.core.services()],
            "outbox": self.core.link.outbox_depth(),
        }
