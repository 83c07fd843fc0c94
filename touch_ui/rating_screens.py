"""The rating flow's screens: the faces, the reasons or praise to tick, the thank-you.

Their layout is in ``touch_ui/kv/rating.kv``; this module adds what depends on data (one
face per level of the scale, one toggle per conduct item) and relabels it when the
language changes. What the answers mean and when each screen shows is
``touch_ui/rating_flow.py``'s business: these screens only report presses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import StringProperty

from protocol.conduct import (
    CONDUCT_ITEMS,
    MISSED_LABELS,
    RAW_LEVEL_LABELS,
    ConductItem,
    Group,
    RawLevel,
)
from protocol.i18n import Lang
from touch_ui import theme
from touch_ui.widgets import ChoiceToggle, FaceButton, PressGuard, TouchScreen

MOODS: dict[RawLevel, tuple[float, tuple[float, ...]]] = {
    RawLevel.VERY_SATISFIED: (1.0, theme.GOOD),
    RawLevel.SATISFIED: (0.5, theme.FAIR),
    RawLevel.NEUTRAL: (0.0, theme.MUTED),
    RawLevel.DISSATISFIED: (-0.6, theme.BAD),
    RawLevel.VERY_DISSATISFIED: (-1.0, theme.BAD),
}
PRAISE_ITEMS = [i for i in CONDUCT_ITEMS if i.group in (Group.XIN, Group.LUON)]
#: Negative reasons: the 5 Không violations first, then the 4 Xin / 4 Luôn missed.
REASON_ITEMS = [i for i in CONDUCT_ITEMS if i.group is Group.KHONG] + PRAISE_ITEMS


def item_label(item: Any, kind: str, lang: Lang) -> str:
    if kind == "reason" and item.code in MISSED_LABELS:
        vi, en = MISSED_LABELS[item.code]
    else:
        vi, en = item.vi, item.en
    return vi if lang == "vi" else en


def level_label(level: RawLevel, lang: Lang) -> str:
    vi, en = RAW_LEVEL_LABELS[level]
    return vi if lang == "vi" else en


Builder.load_file(str(Path(__file__).parent / "kv" / "rating.kv"))


class RateLevelScreen(TouchScreen):
    """``rate_level``: "how satisfied?" and one face per level of the scale."""

    #: The ticket being rated (shown in the title).
    number = StringProperty("")

    def __init__(
        self,
        levels: Sequence[RawLevel],
        on_level: Callable[[RawLevel], None],
        guard: PressGuard,
        **kw: Any,
    ) -> None:
        self._faces: dict[RawLevel, FaceButton] = {}
        super().__init__(**kw)
        for level in levels:
            mood, rgba = MOODS[level]
            face = FaceButton(
                level_label(level, self.lang),
                mood,
                rgba,
                partial(on_level, level),
                tid=f"level-{level.value}",
                guard=guard,
            )
            self._faces[level] = face
            self.ids.faces.add_widget(face)

    def on_lang(self, _w: Any, lang: Lang) -> None:
        for level, face in self._faces.items():
            face.relabel(level_label(level, lang))


class RateChoicesScreen(TouchScreen):
    """``rate_reasons`` or ``rate_praise``: conduct items to tick, then send (or skip)."""

    #: i18n key of the question at the top.
    title_key = StringProperty("")

    def __init__(
        self,
        kind: str,
        items: list[ConductItem],
        *,
        on_send: Callable[[], None],
        on_skip: Callable[[], None] | None,
        guard: PressGuard,
        **kw: Any,
    ) -> None:
        self.kind = kind
        self._items = items
        self._on_send, self._on_skip = on_send, on_skip
        self._toggles: dict[str, ChoiceToggle] = {}
        super().__init__(**kw)
        for item in items:
            toggle = ChoiceToggle(
                item_label(item, kind, self.lang), tid=f"{kind}-{item.code}", guard=guard
            )
            toggle.height = theme.touch_height(7.2 if kind == "reason" else 10)
            self._toggles[item.code] = toggle
            self.ids.grid.add_widget(toggle)
        if on_skip is None:
            self.ids.buttons.remove_widget(self.ids.skip)

    def selected(self) -> list[str]:
        """The codes ticked, in screen order."""
        return [code for code, t in self._toggles.items() if t.state == "down"]

    def clear(self) -> None:
        for t in self._toggles.values():
            t.state = "normal"

    def send(self) -> None:
        self._on_send()

    def skip(self) -> None:
        if self._on_skip is not None:
            self._on_skip()

    def on_lang(self, _w: Any, lang: Lang) -> None:
        for item in self._items:
            if item.code in self._toggles:  # (not yet while the kv rules are applied)
                self._toggles[item.code].relabel(item_label(item, self.kind, lang))


class RateThanksScreen(TouchScreen):
    """``rate_thanks``: "Xin cảm ơn ông/bà!" (the answer is never shown back)."""
