"""The kiosk's screens (Kivy). Import only after ``touch_ui.boot.configure``.

welcome → services (live waiting count and wait) → priority (optional) → ticket
(number very large; printing; on a printer fault the number stays with its QR code)
→ welcome. "Rate a visit": welcome → ticket number keypad → the shared rating flow.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from typing import Any

import qrcode
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.screenmanager import Screen

from kiosk.config import KioskConfig
from kiosk.core import (
    IssuedNumber,
    KioskCore,
    KioskRefused,
    NoNumberAvailable,
    PrintOutcome,
    ServiceButton,
    normalise_number,
)
from touch_ui import theme
from touch_ui.rating_flow import RatingAnswer, RatingFlow
from touch_ui.shell import TouchApp, on_main_thread
from touch_ui.widgets import BigButton, Keypad, Panel, PressGuard, Text

log = logging.getLogger(__name__)


class KioskApp(TouchApp):
    title = "motcua – kiosk"

    core: KioskCore

    def __init__(self, config: KioskConfig, core: KioskCore, **kw: Any) -> None:
        super().__init__(config, core, **kw)
        self.cfg = config
        self.guard = PressGuard(0.8)
        self.busy = False
        #: The number on screen now (tests and the health report read it).
        self.current: IssuedNumber | None = None
        self.last_print: PrintOutcome | None = None
        self._service: str | None = None
        self._typed = ""
        self._back_ev: Any = None
        self.admin_actions = [(self.tr("admin_test_page"), self._test_page)]
        #: Seconds from the touch on a service (or priority) to the first frame showing
        #: the number, and the server round trip inside it (bench/kiosk_latency.py).
        self.timings: list[tuple[float, float]] = []
        self.first_frame_at: float | None = None  # wall clock, for cold-start timing
        self._touch_at = 0.0
        self._request_s = 0.0

    # ------------------------------------------------------------------ building

    def build(self) -> BoxLayout:
        root = self.make_root(["welcome", "services", "priority", "ticket", "enter_number"])
        self.flow = RatingFlow(self.sm, lambda: self.lang)
        self.rebuild()
        return root

    def on_start(self) -> None:
        Window.bind(on_flip=self._first_flip)
        super().on_start()

    def _first_flip(self, *_a: Any) -> None:
        self.first_frame_at = time.time()
        Window.unbind(on_flip=self._first_flip)

    def _number_flipped(self, *_a: Any) -> None:
        Window.unbind(on_flip=self._number_flipped)
        self.timings.append((time.perf_counter() - self._touch_at, self._request_s))

    def rebuild(self) -> None:
        self._build_welcome()
        self._build_ticket()
        self._build_services()
        self._build_enter_number()
        self.flow.build()
        self.update_banner()

    def _screen(self, name: str) -> Screen:
        screen = self.sm.get_screen(name)
        screen.clear_widgets()
        return screen

    def _build_welcome(self) -> None:
        u = theme.unit()
        office, office_en = self.core.office_name
        box = Panel(orientation="vertical", padding=(u * 6, u * 4), spacing=u * 2)
        top = BoxLayout(size_hint_y=None, height=theme.touch_height(9))
        top.add_widget(BoxLayout())
        top.add_widget(
            BigButton(
                self.tr("switch_language"),
                self.switch_language,
                tid="language",
                share=3,
                primary=False,
                size_hint_x=None,
                width=u * 30,
                height=theme.touch_height(9),
            )
        )
        box.add_widget(top)
        self.office_label = Text(
            office_en if self.lang == "en" and office_en else office,
            share=4.5,
            color=theme.MUTED,
            size_hint_y=0.12,
        )
        box.add_widget(self.office_label)
        box.add_widget(Text(self.tr("welcome_title"), share=11, bold=True, color=theme.PRIMARY))
        box.add_widget(Text(self.tr("welcome_sub"), share=4.5, size_hint_y=0.15))
        box.add_widget(
            BigButton(
                self.tr("take_number"),
                lambda: self.go("services"),
                tid="take-number",
                share=7,
                height=theme.touch_height(20),
            )
        )
        if self.cfg.kiosk.rate_visit:
            box.add_widget(
                BigButton(
                    self.tr("rate_visit"),
                    self._start_rate_visit,
                    tid="rate-visit",
                    share=4,
                    primary=False,
                    height=theme.touch_height(11),
                )
            )
        self._screen("welcome").add_widget(box)

    def _build_services(self) -> None:
        u = theme.unit()
        box = Panel(orientation="vertical", padding=(u * 3, u * 2), spacing=u * 2)
        box.add_widget(
            Text(self.tr("choose_service"), share=5, bold=True, size_hint_y=None, height=u * 10)
        )
        self.service_grid = GridLayout(cols=2, spacing=u * 2)
        self._service_buttons: dict[str, BigButton] = {}
        box.add_widget(self.service_grid)
        box.add_widget(
            BigButton(
                self.tr("back"),
                lambda: self.go("welcome"),
                tid="back",
                primary=False,
                height=theme.touch_height(9),
            )
        )
        self._screen("services").add_widget(box)
        self._fill_services()

    def _service_text(self, svc: ServiceButton) -> str:
        name = svc.name_en if self.lang == "en" else svc.name
        if svc.waiting is None:
            line = ""
        elif svc.waiting == 0:
            line = self.tr("waiting_none")
        else:
            line = self.tr("waiting_eta", waiting=svc.waiting, eta=svc.eta_minutes or 0)
        small = int(theme.font(3))
        return f"[b]{name}[/b]" + (f"\n[size={small}]{line}[/size]" if line else "")

    def _fill_services(self) -> None:
        services = self.core.services()
        buttons = self._service_buttons
        if services and [s.code for s in services] == list(buttons):
            # Only the live counts changed: update the text in place, so a finger
            # already on a button is not lost by rebuilding it.
            for svc in services:
                buttons[svc.code].text = self._service_text(svc)
            return
        grid = self.service_grid
        grid.clear_widgets()
        buttons.clear()
        if not services:
            grid.add_widget(Text(self.tr("no_services"), share=4))
            return
        for svc in services:
            button = BigButton(
                self._service_text(svc),
                lambda c=svc.code: self._chose_service(c),
                tid=f"service-{svc.code}",
                share=4.2,
                guard=self.guard,
                size_hint_y=1,
            )
            buttons[svc.code] = button
            grid.add_widget(button)

    def _build_priority(self) -> None:
        u = theme.unit()
        box = Panel(orientation="vertical", padding=(u * 4, u * 2), spacing=u * 1.5)
        box.add_widget(
            Text(self.tr("ask_priority"), share=5, bold=True, size_hint_y=None, height=u * 10)
        )
        box.add_widget(
            BigButton(
                self.tr("no_priority"),
                lambda: self._issue(None),
                tid="priority-none",
                share=5,
                guard=self.guard,
                height=theme.touch_height(13),
            )
        )
        grid = GridLayout(cols=2, spacing=u * 1.5)
        for p in self.core.priorities():
            grid.add_widget(
                BigButton(
                    p.name_en if self.lang == "en" and p.name_en else p.name,
                    lambda c=p.code: self._issue(c),
                    tid=f"priority-{p.code}",
                    share=3.6,
                    primary=False,
                    guard=self.guard,
                    size_hint_y=1,
                )
            )
        box.add_widget(grid)
        box.add_widget(
            BigButton(
                self.tr("back"),
                lambda: self.go("services"),
                tid="back",
                primary=False,
                height=theme.touch_height(9),
            )
        )
        self._screen("priority").add_widget(box)

    def _build_enter_number(self) -> None:
        self._keypad_prefixes = self.core.known_prefixes()
        u = theme.unit()
        box = Panel(orientation="vertical", padding=(u * 6, u * 2), spacing=u * 1.5)
        box.add_widget(
            Text(self.tr("enter_number"), share=4.6, bold=True, size_hint_y=None, height=u * 9)
        )
        self.typed_label = Text(
            "", share=10, bold=True, color=theme.PRIMARY, size_hint_y=None, height=u * 14
        )
        box.add_widget(self.typed_label)
        self.typed_hint = Text("", share=3.4, color=theme.BAD, size_hint_y=None, height=u * 5)
        box.add_widget(self.typed_hint)
        box.add_widget(
            Keypad(
                self._key,
                letters=self.core.known_prefixes(),
                extra=[
                    ("clear", self.tr("clear")),
                    ("back", self.tr("back")),
                    ("ok", self.tr("next")),
                ],
            )
        )
        self._screen("enter_number").add_widget(box)

    # ------------------------------------------------------------------ live data

    def refresh(self) -> None:
        if self.sm.current == "services" or not self.service_grid.children:
            self._fill_services()
        office, office_en = self.core.office_name
        self.office_label.show(office_en if self.lang == "en" and office_en else office)
        prefixes = self.core.known_prefixes()
        if prefixes != self._keypad_prefixes and self.sm.current != "enter_number":
            self._build_enter_number()
        self.update_banner()

    # ------------------------------------------------------------------ navigation

    def go(self, name: str) -> None:
        if self._back_ev is not None:
            self._back_ev.cancel()
            self._back_ev = None
        if name == "services":
            self._fill_services()
        self.sm.current = name

    def on_idle(self) -> None:
        if self.flow.active:
            self.flow.timeout()
        if self.sm.current != "welcome" and not self.busy:
            self.go("welcome")

    def _chose_service(self, code: str) -> None:
        if self.busy:
            return
        self._service = code
        if self.cfg.kiosk.ask_priority and self.core.priorities():
            self._build_priority()
            self.go("priority")
        else:
            self._issue(None)

    # ------------------------------------------------------------------ the number

    def _issue(self, priority: str | None) -> None:
        if self.busy or self._service is None:
            return
        self.busy = True
        self._touch_at = time.perf_counter()
        service = self._service
        self._show_ticket(None, waiting=True)
        threading.Thread(
            target=self._issue_and_print, args=(service, priority), daemon=True
        ).start()

    def _issue_and_print(self, service: str, priority: str | None) -> None:
        started = time.perf_counter()
        try:
            issued = self.core.take_number(service, priority)
            self._request_s = time.perf_counter() - started
        except (KioskRefused, NoNumberAvailable) as e:
            log.error("no number for %s: %s", service, e)
            on_main_thread(self._no_number)(e)
            return
        except Exception:
            log.exception("taking a number failed")
            on_main_thread(self._no_number)(None)
            return
        on_main_thread(self._show_ticket)(issued)
        name = None
        if priority:
            name = next((p.name for p in self.core.priorities() if p.code == priority), priority)
        outcome = self.core.print_ticket(issued, name) if self.core.printer else None
        on_main_thread(self._printed)(issued, outcome)  # once, printer or not

    def _no_number(self, error: Exception | None) -> None:
        self.busy = False
        msg = self.tr("no_number")
        if isinstance(error, KioskRefused):
            msg = (
                error.message_en if self.lang == "en" and error.message_en else error.message
            ) or msg
        screen = self._screen("ticket")
        u = theme.unit()
        box = Panel(orientation="vertical", padding=u * 8)
        box.add_widget(Text(msg, share=5, bold=True, color=theme.BAD))
        screen.add_widget(box)
        self.sm.current = "ticket"
        self._back_later(self.cfg.kiosk.ticket_screen_s)

    def _build_ticket(self) -> None:
        """The ticket screen, built once: showing a number only changes its texts."""
        u = theme.unit()
        box = Panel(orientation="vertical", padding=(u * 5, u * 3), spacing=u)
        self.t_title = Text(self.tr("your_number"), share=5, size_hint_y=0.1)
        self.number_label = Text("…", share=24, bold=True, color=theme.PRIMARY, size_hint_y=0.32)
        self.number_label.tid = "ticket-number"
        self.t_service = Text("", share=5, bold=True, size_hint_y=0.1)
        self.t_priority = Text("", share=3.6, color=theme.BAD, size_hint_y=0.06)
        self.t_ahead = Text("", share=4.2, size_hint_y=0.08)
        self.t_eta = Text("", share=4.2, size_hint_y=0.08)
        self.print_row = BoxLayout(size_hint_y=0.16, spacing=u * 2)
        self.print_label = Text("", share=4, color=theme.MUTED)
        self.print_label.tid = "print-status"
        self.print_row.add_widget(self.print_label)
        self.t_thanks = Text(
            self.tr("wait_call"), share=4.6, bold=True, color=theme.PRIMARY, size_hint_y=0.1
        )
        for w in (
            self.t_title,
            self.number_label,
            self.t_service,
            self.t_priority,
            self.t_ahead,
            self.t_eta,
            self.print_row,
            self.t_thanks,
        ):
            box.add_widget(w)
        self._screen("ticket").add_widget(box)

    def _show_ticket(self, issued: IssuedNumber | None, waiting: bool = False) -> None:
        self.current = issued
        if self.sm.get_screen("ticket").children != [self.number_label.parent]:
            self._build_ticket()  # after a "no number" message replaced it
        for qr in [w for w in self.print_row.children if w is not self.print_label]:
            self.print_row.remove_widget(qr)
        self.print_row.size_hint_y = 0.16
        self.print_label.color = theme.MUTED
        self.number_label.show(issued.number if issued else "…")
        service = priority = ahead = eta = ""
        if issued is not None:
            service = issued.service_name_en if self.lang == "en" else issued.service_name
            if issued.priority:
                pname = next(
                    (p.name for p in self.core.priorities() if p.code == issued.priority),
                    issued.priority,
                )
                priority = self.tr("priority_mark", name=pname)
            ahead = self.tr("people_ahead", n=issued.people_ahead)
            eta = (
                self.tr("eta", m=issued.eta_minutes) if issued.eta_minutes else self.tr("eta_soon")
            )
        self.t_service.show(service)
        self.t_priority.show(priority)
        self.t_ahead.show(ahead)
        self.t_eta.show(eta)
        self.print_label.show(self.tr("printing") if issued and self.core.printer else "")
        self.sm.current = "ticket"
        if issued is not None:
            Window.bind(on_flip=self._number_flipped)

    def _printed(self, issued: IssuedNumber, outcome: PrintOutcome | None) -> None:
        self.busy = False
        self.last_print = outcome
        if outcome is not None and outcome.printed:
            self.print_label.show(self.tr("printed"))
            self._back_later(self.cfg.kiosk.ticket_screen_s)
            return
        # Not printed: the number stays, with its QR code and what to do.
        self.print_label.show(self.tr("print_failed") if outcome else self.tr("no_printer"))
        self.print_label.color = theme.BAD
        self.print_row.size_hint_y = 0.3
        self.print_row.add_widget(_qr_image(self.core.ticket_link(issued), size_hint_x=0.35))
        self._back_later(
            self.cfg.kiosk.fault_screen_s if outcome else self.cfg.kiosk.ticket_screen_s
        )

    def _back_later(self, seconds: float) -> None:
        if self._back_ev is not None:
            self._back_ev.cancel()
        self._back_ev = Clock.schedule_once(lambda _dt: self.go("welcome"), seconds)
        shown_at = Clock.get_boottime()

        def touch_to_finish(_w: Any, touch: Any) -> bool:
            # A touch ends the ticket screen, but not in the first 1.5 s (a second tap
            # on the service button must not hide the number).
            if self.sm.current == "ticket" and Clock.get_boottime() - shown_at > 1.5:
                self.go("welcome")
                return True
            return False

        self.sm.get_screen("ticket").on_touch_down = lambda touch: touch_to_finish(None, touch)

    # ------------------------------------------------------------------ rate a visit

    def _start_rate_visit(self) -> None:
        self._typed = ""
        self._build_enter_number()
        self.typed_label.show("")
        self.go("enter_number")

    def _key(self, key: str) -> None:
        if key == "back":
            self.go("welcome")
            return
        if key == "clear":
            self._typed = ""
        elif key == "ok":
            number = normalise_number(self._typed, self.core.known_prefixes())
            if number is None:
                self.typed_hint.show(self.tr("bad_number"))
                return
            self.flow.begin(number, self._submit_rating, lambda: self.go("welcome"))
            return
        elif key.isalpha():
            restart = any(c.isdigit() for c in self._typed) or len(self._typed) >= 2
            self._typed = key if restart else self._typed + key
        elif len(self._typed) < 6:
            self._typed += key
        self.typed_hint.show("")
        self.typed_label.show(self._typed)

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
            "timings": self.timings,
            "first_frame_at": self.first_frame_at,
        }


def _qr_image(content: str, **kw: Any) -> Image:
    buf = io.BytesIO()
    qrcode.make(content, border=2).save(buf, format="PNG")
    buf.seek(0)
    texture = CoreImage(buf, ext="png").texture
    texture.mag_filter = "nearest"
    img = Image(texture=texture, fit_mode="contain", **kw)
    img.tid = "ticket-qr"
    return img
