"""``motcua kiosk --config FILE``: start the kiosk app."""

from __future__ import annotations

import logging
from pathlib import Path

from kiosk.config import KioskConfig
from touch_ui.device_config import load_device_config


def run(config_path: str | Path) -> None:
    config = load_device_config(config_path, KioskConfig)
    from touch_ui import boot

    boot.configure(config.screen, config.state_dir)
    from kiosk.app import KioskApp  # Kivy: only after boot.configure
    from kiosk.core import KioskCore

    logging.getLogger(__name__).info("kiosk %s starting", config.device_id)
    KioskApp(config, KioskCore(config)).run()
