"""Kivy start-up settings; must run before any other Kivy import.

Kiosk mode (``screen.kiosk_mode``): fullscreen and borderless, Escape does not quit,
the screensaver and the mouse cursor are off, closing the window is refused (see
``touch_ui.shell``). Kivy keeps its own config and logs under the device's state
directory, not in the home directory of whoever runs it.
"""

from __future__ import annotations

import os
from pathlib import Path

from touch_ui.device_config import ScreenSettings


def configure(screen: ScreenSettings, state_dir: Path) -> None:
    if "kivy" in __import__("sys").modules:
        raise RuntimeError("touch_ui.boot.configure() must run before Kivy is imported")
    home = state_dir / "kivy"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(home))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # SDL would turn SIGTERM/SIGINT into a window close, which kiosk mode refuses;
    # touch_ui.shell handles both signals itself.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", "warning")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("graphics", "allow_screensaver", "0")
    Config.set("graphics", "width", str(screen.width))
    Config.set("graphics", "height", str(screen.height))
    Config.set("graphics", "resizable", "0")
    # A mouse on a touch kiosk must not leave red multitouch dots on the screen.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if screen.kiosk_mode:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "show_cursor", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
