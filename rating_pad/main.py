"""``motcua pad --config FILE``: start the rating pad app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rating_pad.config import PadConfig
from touch_ui.device_config import load_device_config, require_password

if TYPE_CHECKING:
    from rating_pad.app import PadApp


def load(config_path: str | Path) -> PadConfig:
    """The pad config; the shell's idle timeout becomes the rating's idle timeout."""
    config = load_device_config(config_path, PadConfig)
    screen = config.screen.model_copy(update={"idle_timeout_s": config.rating.idle_timeout_s})
    return config.model_copy(update={"screen": screen})


def make_app(config_path: str | Path) -> PadApp:
    """The pad app of ``config_path``, ready to ``run()`` (Kivy is set up first)."""
    config = load(config_path)
    require_password(config)
    from touch_ui import boot

    boot.configure(config.screen, config.state_dir)
    from rating_pad.app import PadApp  # Kivy: only after boot.configure
    from rating_pad.core import PadCore

    return PadApp(config, PadCore(config))


def run(config_path: str | Path) -> None:
    make_app(config_path).run()
