"""Taking a number and printing it: the kiosk's one slow action, off the UI thread.

A press on a service (or priority) calls ``IssueFlow.issue``: the UI shows "…" at once,
and a worker thread asks the server for a number (or takes one from the reserve,
``KioskCore.take_number``) and prints it. What happened comes back to the UI on Kivy's
thread (``Clock.schedule_once``) as calls of its ``IssueView``: the number, then the
print outcome (once, printer or not); or, when no number could be issued at all, what
to tell the citizen. That mapping of errors to words is here and nowhere else.

No widgets here: the flow is the same whatever the screens look like. Observers (the
latency benchmark) can follow it without the app carrying any measuring code.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from kivy.clock import Clock

from kiosk.core import IssuedNumber, KioskCore, KioskRefused, NoNumberAvailable, PrintOutcome
from protocol.i18n import Localized
from touch_ui.i18n import STRINGS

log = logging.getLogger(__name__)


class IssueView(Protocol):
    """What the flow asks the UI to show (always on Kivy's thread)."""

    def show_waiting(self) -> None:
        """A number is being taken: "…" on the ticket screen."""

    def show_number(self, issued: IssuedNumber) -> None:
        """The number, before it is printed."""

    def show_printed(self, issued: IssuedNumber, outcome: PrintOutcome | None) -> None:
        """Printed, or not (``outcome`` is None when the kiosk has no printer)."""

    def show_refusal(self, message: Localized) -> None:
        """No number could be issued: tell the citizen why."""


class IssueObserver(Protocol):
    """Follows the flow on Kivy's thread (``bench/kiosk_latency.py`` times it)."""

    def issue_started(self) -> None:
        """The press that asks for a number (before anything is shown)."""

    def number_shown(self, issued: IssuedNumber, request_s: float) -> None:
        """The number was just put on screen; ``request_s``: the server round trip."""


def refusal_message(error: Exception | None) -> Localized:
    """What the citizen reads when no number came: the server's own polite reason if it
    refused (a service closed, …), else "ask at the information desk". The one place the
    kiosk turns an error into words."""
    if isinstance(error, KioskRefused) and error.message:
        return error.text
    return STRINGS.both("no_number")


class IssueFlow:
    def __init__(self, core: KioskCore, view: IssueView) -> None:
        self.core = core
        self.view = view
        #: A number is being taken or printed: further presses are ignored.
        self.busy = False
        self.observers: list[IssueObserver] = []

    def issue(self, service: str, priority: str | None) -> bool:
        """Take a number of ``service`` (on Kivy's thread); False if one is under way."""
        if self.busy:
            return False
        self.busy = True
        for observer in self.observers:
            observer.issue_started()
        self.view.show_waiting()
        threading.Thread(target=self._work, args=(service, priority), daemon=True).start()
        return True

    def priority_name(self, priority: str | None) -> str | None:
        """The category's (Vietnamese) name, as printed and shown on the ticket."""
        if not priority:
            return None
        return next((p.name for p in self.core.priorities() if p.code == priority), priority)

    # ------------------------------------------------------------------ worker thread

    def _work(self, service: str, priority: str | None) -> None:
        started = time.perf_counter()
        try:
            issued = self.core.take_number(service, priority)
        except (KioskRefused, NoNumberAvailable) as e:
            log.error("no number for %s: %s", service, e)
            self._later(self._refused, refusal_message(e))
            return
        except Exception:
            log.exception("taking a number failed")
            self._later(self._refused, refusal_message(None))
            return
        self._later(self._shown, issued, time.perf_counter() - started)
        name = self.priority_name(priority)
        outcome = self.core.print_ticket(issued, name) if self.core.printer else None
        self._later(self._printed, issued, outcome)  # once, printer or not

    @staticmethod
    def _later(fn: Callable[..., None], *args: Any) -> None:
        Clock.schedule_once(lambda _dt: fn(*args), 0)

    # ------------------------------------------------------------------ Kivy's thread

    def _shown(self, issued: IssuedNumber, request_s: float) -> None:
        self.view.show_number(issued)
        for observer in self.observers:
            observer.number_shown(issued, request_s)

    def _printed(self, issued: IssuedNumber, outcome: PrintOutcome | None) -> None:
        self.busy = False
        self.view.show_printed(issued, outcome)

    def _refused(self, message: Localized) -> None:
        self.busy = False
        self.view.show_refusal(message)
