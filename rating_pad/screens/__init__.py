"""The pad's own screens (the rating screens are ``touch_ui``'s, shared with the kiosk),
one ``Screen`` class per module with its layout in ``rating_pad/kv/<module>.kv``.

Import only after ``touch_ui.boot.configure`` (Kivy).
"""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder


def load_kv(name: str) -> None:
    """Load ``rating_pad/kv/<name>.kv`` (each screen module calls it once, at import)."""
    Builder.load_file(str(Path(__file__).parents[1] / "kv" / f"{name}.kv"))
