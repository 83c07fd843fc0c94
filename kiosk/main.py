"""``motcua kiosk --config FILE``: start the kiosk app."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import KioskConfig
from touch_ui.device_config import load_device_config, require_password

if TYPE_CHECKING:
    from kiosk.app import KioskApp


def make_app(config_path: str | Path) -> KioskApp:
    """The kiosk app of ``config_path``, ready to ``run()`` (Kivy is set up first)."""
    config = load_device_config(config_path, KioskConfig)
    require_password(config)
    from touch_ui import boot

    boot.configure(config.screen, config.state_dir)
    from kiosk.app import KioskApp  # Kivy: only after boot.configure
    from kiosk.core import KioskCore

    logging.getLogger(__name__).info("kiosk %s starting", config.device_id)
    return KioskApp(config, KioskCore(config))


def run(config_path: str | Path) -> None:
    make_app(config_path).run()
