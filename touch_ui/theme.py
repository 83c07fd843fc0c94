"""Colours and sizes: high contrast, large text, touch targets of at least 15 mm.

Sizes follow the window height (the same layout on a 15" and a 32" screen) but never
drop below the physical minimums (Kivy's ``mm`` uses the screen's DPI).
"""

from __future__ import annotations

from kivy.core.window import Window
from kivy.metrics import mm

#: A colour as Kivy takes it: red, green, blue, alpha in 0…1.
RGBA = tuple[float, float, float, float]

BACKGROUND: RGBA = (0.96, 0.97, 0.98, 1)
TEXT: RGBA = (0.07, 0.07, 0.09, 1)
MUTED: RGBA = (0.25, 0.27, 0.32, 1)
PRIMARY: RGBA = (0.05, 0.28, 0.63, 1)  # deep blue: white text on it has 8.6:1 contrast
PRIMARY_DOWN: RGBA = (0.03, 0.18, 0.42, 1)
SECONDARY: RGBA = (0.86, 0.89, 0.94, 1)
ON_PRIMARY: RGBA = (1, 1, 1, 1)
GOOD: RGBA = (0.11, 0.49, 0.2, 1)
FAIR: RGBA = (0.1, 0.43, 0.62, 1)
BAD: RGBA = (0.72, 0.11, 0.11, 1)
WARNING_BG: RGBA = (1.0, 0.88, 0.5, 1)
BANNER_BG: RGBA = (0.35, 0.35, 0.38, 1)

MIN_TOUCH_MM = 15


def unit() -> float:
    """1 % of the window height, in pixels."""
    return float(Window.height) / 100.0


def touch_height(share: float = 12) -> float:
    """A button height: ``share`` % of the screen, at least 15 mm."""
    return max(float(mm(MIN_TOUCH_MM)), unit() * share)


def font(share: float) -> float:
    """A font size of ``share`` % of the screen height (at least 4 mm, readable at 1 m)."""
    return max(float(mm(4)), unit() * share)
