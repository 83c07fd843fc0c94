"""The app shell both touch apps use: kiosk-mode window, idle timeout, language,
admin exit (long press in the top-left corner + PIN), MQTT → main-thread hand-off.

The language is the app's ``lang`` property: the screens' texts are bound to it (in kv,
``app.tr('key', app.lang)``), so switching it updates every label in place.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from protocol.i18n import Lang, localized
from touch_ui import theme
from touch_ui.device_config import DeviceConfig
from touch_ui.device_core import DeviceCore
from touch_ui.i18n import tr
from touch_ui.widgets import Banner, BigButton, Keypad, Text

log = logging.getLogger(__name__)

#: Hold a finger this long in the top-left corner to ask for the admin PIN.
ADMIN_HOLD_S = 3.0
ADMIN_CORNER = 0.08
#: A stop asked by SIGTERM/SIGINT waits this long at most for a number being printed
#: (within the 20 s systemd gives a device unit before it kills it).
STOP_GRACE_S = 15.0


def on_main_thread(fn: Callable[..., Any]) -> Callable[..., None]:
    """Wrap ``fn`` so that calling it (from any thread) runs it on Kivy's thread."""

    def call(*args: Any, **kw: Any) -> None:
        Clock.schedule_once(lambda _dt: fn(*args, **kw), 0)

    return call


class TouchApp(App):
    """Base of the kiosk and pad apps: a screen manager over an offline banner."""

    #: i18n key of the banner shown while the server cannot be reached.
    offline_text = "offline_banner"

    #: The language shown ("vi" or "en"); texts bound to it follow a switch at once.
    lang = StringProperty("vi")

    def __init__(self, config: DeviceConfig, core: DeviceCore, **kw: Any) -> None:
        super().__init__(**kw)
        self.device_config = config
        self.core = core
        self.lang = config.screen.language
        self._last_touch: float = Clock.get_boottime()
        self._admin_ev: Any = None
        self._allow_exit = False
        self.admin_actions: list[tuple[str, Callable[[], None]]] = []
        self._handle_stop_signals()

    # ------------------------------------------------------------------ lifecycle

    def make_root(self, screens: list[Screen]) -> BoxLayout:
        """The root widget: ``self.sm`` with ``screens``, ``self.banner`` below."""
        root = BoxLayout(orientation="vertical")
        self.sm = ScreenManager(transition=NoTransition())
        for screen in screens:
            self.sm.add_widget(screen)
        self.banner = Banner()
        root.add_widget(self.sm)
        root.add_widget(self.banner)
        self.core.on_change(on_main_thread(self.refresh))
        return root

    def on_start(self) -> None:
        Window.clearcolor = theme.BACKGROUND
        Window.bind(on_request_close=self._on_request_close)
        Window.bind(on_touch_down=self._on_any_touch_down, on_touch_up=self._on_any_touch_up)
        Clock.schedule_interval(self._check_idle, 1.0)
        self.core.start()
        Clock.schedule_interval(lambda _dt: self.update_banner(), 2.0)

    def on_stop(self) -> None:
        self.core.stop()

    # ------------------------------------------------------------------ stop signals

    def _handle_stop_signals(self) -> None:
        """SIGTERM (systemctl stop, kill) and SIGINT (Ctrl+C) stop the app cleanly.

        SDL turns both into a request to close the window, which kiosk mode refuses: only
        kill -9 stopped a kiosk. Python's own handlers replace SDL's (set when the window
        was created); they only schedule the stop on Kivy's clock.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_stop_signal)

    def _on_stop_signal(self, signum: int, _frame: Any) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        Clock.schedule_once(lambda _dt: self.stop_when_idle(), 0)

    @property
    def busy(self) -> bool:
        """Work under way that a stop must let finish (the kiosk: a number printing)."""
        return False

    def stop_when_idle(self, waited: float = 0.0) -> None:
        """Stop once nothing is under way (at most ``STOP_GRACE_S`` later)."""
        if self.busy and waited < STOP_GRACE_S:
            if not waited:
                log.info("stopping once the work under way is done (a number printing)")
            Clock.schedule_once(lambda dt: self.stop_when_idle(waited + dt), 0.1)
            return
        self.quit()

    def refresh(self) -> None:
        """What the device shows changed (apps override; runs on Kivy's thread)."""
        self.update_banner()

    def update_banner(self) -> None:
        self.banner.show("" if self.core.online else self.tr(self.offline_text))

    def _on_request_close(self, *_a: Any, **_kw: Any) -> bool:
        """True refuses: in kiosk mode only the admin PIN closes the app."""
        if self._allow_exit or not self.device_config.screen.kiosk_mode:
            return False
        log.info("window close refused (kiosk mode)")
        return True

    def quit(self) -> None:
        self._allow_exit = True
        self.stop()

    def tr(self, key: str, lang: Lang | None = None, **values: object) -> str:
        """The text for ``key``; kv passes ``app.lang`` so the text follows a switch."""
        return tr(key, lang or self.lang, **values)

    def localized(self, vi: str, en: str | None, lang: str) -> str:
        """A configured name (office, service) in ``lang``; for kv, like ``tr``."""
        return localized(vi, en, lang)

    def switch_language(self) -> None:
        self.lang = "en" if self.lang == "vi" else "vi"

    def on_lang(self, *_a: Any) -> None:
        if getattr(self, "banner", None) is not None:
            self.update_banner()

    # ------------------------------------------------------------------ idle

    def _on_any_touch_down(self, _w: Any, touch: Any) -> bool:
        self._last_touch = Clock.get_boottime()
        w, h = Window.size
        if touch.x < w * ADMIN_CORNER and touch.y > h * (1 - ADMIN_CORNER):
            self._admin_ev = Clock.schedule_once(lambda _dt: self.ask_admin_pin(), ADMIN_HOLD_S)
        return False

    def _on_any_touch_up(self, _w: Any, _touch: Any) -> bool:
        if self._admin_ev is not None:
            self._admin_ev.cancel()
            self._admin_ev = None
        return False

    def idle_for(self) -> float:
        return float(Clock.get_boottime() - self._last_touch)

    def touched(self) -> None:
        self._last_touch = Clock.get_boottime()

    def _check_idle(self, _dt: float) -> None:
        if self.idle_for() >= self.device_config.screen.idle_timeout_s:
            self.touched()
            self.on_idle()

    def on_idle(self) -> None:
        """Nobody touched the screen for ``idle_timeout_s`` (apps override)."""

    # ------------------------------------------------------------------ admin

    def ask_admin_pin(self) -> None:
        stored = self.device_config.screen.admin_pin_hash
        if not stored:
            log.warning("admin gesture ignored: no admin_pin_hash in the device config")
            return
        entered: list[str] = []
        u = theme.unit()
        box = BoxLayout(orientation="vertical", spacing=u, padding=u)
        shown = Text(
            self.tr("admin_pin"), share=4, size_hint_y=None, height=u * 8, color=(1, 1, 1, 1)
        )
        popup = Popup(
            title="", separator_height=0, content=box, size_hint=(0.5, 0.85), auto_dismiss=False
        )

        def key(k: str) -> None:
            if k == "ok":
                if _verify_pin(stored, "".join(entered)):
                    popup.dismiss()
                    self.admin_menu()
                else:
                    log.warning("wrong admin PIN")
                    entered.clear()
                    shown.show(self.tr("admin_wrong"))
            elif k == "cancel":
                popup.dismiss()
            elif k == "clear":
                entered.clear()
                shown.show(self.tr("admin_pin"))
            elif len(entered) < 12:
                entered.append(k)
                shown.show("•" * len(entered))

        box.add_widget(shown)
        box.add_widget(
            Keypad(
                key,
                extra=[
                    ("clear", self.tr("clear")),
                    ("cancel", self.tr("admin_cancel")),
                    ("ok", "OK"),
                ],
            )
        )
        popup.open()

    def admin_menu(self) -> None:
        u = theme.unit()
        box = BoxLayout(orientation="vertical", spacing=u * 2, padding=u * 2)
        popup = Popup(title="", separator_height=0, content=box, size_hint=(0.5, 0.6))
        actions = [*self.admin_actions, (self.tr("admin_exit"), self.quit)]

        def run(action: Callable[[], None]) -> None:
            popup.dismiss()
            action()

        for label, action in actions:
            box.add_widget(BigButton(label, partial(run, action), tid=f"admin-{label}"))
        box.add_widget(
            BigButton(self.tr("admin_cancel"), popup.dismiss, tid="admin-cancel", primary=False)
        )
        popup.open()


def _verify_pin(stored: str, pin: str) -> bool:
    try:
        return PasswordHasher().verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False
