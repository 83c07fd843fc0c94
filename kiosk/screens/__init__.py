"""The kiosk's screens, one ``Screen`` class per module, each with its layout in
``kiosk/kv/<module>.kv`` (loaded when the module is imported).

The screens only show things and report presses: taking a number is ``kiosk.flow``,
navigation and the idle return are ``kiosk.app``. Import only after
``touch_ui.boot.configure`` (Kivy).
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder


def load_kv(name: str) -> None:
    """Load ``kiosk/kv/<name>.kv`` (each screen module calls it once, at import)."""
    Builder.load_file(str(Path(__file__).parents[1] / "kv" / f"{name}.kv"))
