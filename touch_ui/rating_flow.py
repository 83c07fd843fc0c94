"""The rating flow the desk pad and the kiosk's "rate a visit" share.

level (faces) → after a negative level: what went wrong (5 Không, and 4 Xin / 4 Luôn
items missed), several allowed → after a positive level: what went well (optional) →
"Xin cảm ơn ông/bà". The answer is never shown back on screen.

If the citizen stops touching after choosing a level, ``timeout()`` sends the level
alone, marked partial. Presses closer together than ``min_gap_s`` are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen, ScreenManager

from protocol.conduct import CONDUCT_ITEMS, RAW_LEVEL_LABELS, SCALES, Group, RawLevel
from touch_ui import theme
from touch_ui.i18n import Lang, tr
from touch_ui.widgets import BigButton, ChoiceToggle, FaceButton, Panel, PressGuard, Text

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


#: After a negative answer the 4 Xin / 4 Luôn items are offered as what was missing.
MISSED: dict[str, tuple[str, str]] = {
    "xin_chao": ("Chưa chào hỏi", "Did not greet you"),
    "xin_phep": ("Chưa xin phép", "Did not ask your permission"),
    "xin_loi": ("Chưa xin lỗi", "Did not apologise"),
    "xin_cam_on": ("Chưa cảm ơn", "Did not thank you"),
    "luon_mim_cuoi": ("Chưa mỉm cười", "Did not smile"),
    "luon_nhe_nhang": ("Chưa nhẹ nhàng", "Was not gentle"),
    "luon_lang_nghe": ("Chưa lắng nghe", "Did not listen"),
    "luon_san_long_giup_do": ("Chưa sẵn lòng giúp đỡ", "Was not willing to help"),
}


def item_label(item: Any, kind: str, lang: Lang) -> str:
    if kind == "reason" and item.code in MISSED:
        vi, en = MISSED[item.code]
    else:
        vi, en = item.vi, item.en
    return vi if lang == "vi" else en


@dataclass
class RatingAnswer:
    number: str
    level: RawLevel
    praised: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    partial: bool = False


class RatingFlow:
    """Adds its screens to ``manager``; ``begin`` starts one rating."""

    SCREENS = ("rate_level", "rate_reasons", "rate_praise", "rate_thanks")

    def __init__(
        self,
        manager: ScreenManager,
        lang: Callable[[], Lang],
        *,
        scale: int = 3,
        min_gap_s: float = 1.0,
        thanks_s: float = 4.0,
    ) -> None:
        self.manager = manager
        self.lang = lang
        self.levels = SCALES[scale]
        self.guard = PressGuard(min_gap_s)
        self.thanks_s = thanks_s
        self.answer: RatingAnswer | None = None
        self._number = ""
        self._submit: Callable[[RatingAnswer], None] | None = None
        self._finished: Callable[[], None] | None = None
        self._sent = False
        self._gen = 0
        self._toggles: dict[str, ChoiceToggle] = {}
        self._titles: dict[str, Text] = {}
        for name in self.SCREENS:
            self.manager.add_widget(Screen(name=name))
        self.build()

    # ------------------------------------------------------------------ building

    def build(self) -> None:
        """(Re)build the screens in the current language."""
        lang = self.lang()
        self._toggles.clear()
        screens = {name: self.manager.get_screen(name) for name in self.SCREENS}
        for s in screens.values():
            s.clear_widgets()
        u = theme.unit()

        box = Panel(orientation="vertical", padding=u * 3, spacing=u * 2)
        self._titles["level"] = Text("", share=3.6, size_hint_y=0.12, color=theme.MUTED)
        box.add_widget(self._titles["level"])
        box.add_widget(Text(tr("how_satisfied", lang), share=5, bold=True, size_hint_y=0.2))
        row = BoxLayout(spacing=u * 2, size_hint_y=0.68)
        for level in self.levels:
            mood, rgba = MOODS[level]
            vi, en = RAW_LEVEL_LABELS[level]
            row.add_widget(
                FaceButton(
                    vi if lang == "vi" else en,
                    mood,
                    rgba,
                    lambda lv=level: self._chose_level(lv),
                    tid=f"level-{level.value}",
                    guard=self.guard,
                )
            )
        box.add_widget(row)
        screens["rate_level"].add_widget(box)

        screens["rate_reasons"].add_widget(
            self._choices("reasons_title", REASON_ITEMS, "reason", cols=2)
        )
        screens["rate_praise"].add_widget(self._choices("praise_title", PRAISE_ITEMS, "praise"))

        box = Panel(orientation="vertical", padding=u * 6, spacing=u * 2)
        box.add_widget(Text(tr("thanks", lang), share=9, bold=True, color=theme.PRIMARY))
        box.add_widget(Text(tr("thanks_sub", lang), share=4.5))
        screens["rate_thanks"].add_widget(box)

    def _choices(self, title: str, items: list[Any], kind: str, cols: int = 2) -> Panel:
        lang = self.lang()
        u = theme.unit()
        box = Panel(orientation="vertical", padding=u * 2, spacing=u * 1.5)
        box.add_widget(Text(tr(title, lang), share=4.4, bold=True, size_hint_y=None, height=u * 9))
        grid = GridLayout(cols=cols, spacing=u, size_hint_y=1)
        for item in items:
            toggle = ChoiceToggle(
                item_label(item, kind, lang), tid=f"{kind}-{item.code}", guard=self.guard
            )
            toggle.height = theme.touch_height(7.2 if kind == "reason" else 10)
            self._toggles[f"{kind}-{item.code}"] = toggle
            grid.add_widget(toggle)
        box.add_widget(grid)
        buttons = BoxLayout(size_hint_y=None, height=theme.touch_height(11), spacing=u * 2)
        if kind == "praise":
            buttons.add_widget(
                BigButton(tr("skip", lang), self._skip, tid="rate-skip", primary=False)
            )
        buttons.add_widget(BigButton(tr("send", lang), self._send, tid="rate-send"))
        box.add_widget(buttons)
        return box

    # ------------------------------------------------------------------ running

    def begin(
        self,
        number: str,
        submit: Callable[[RatingAnswer], None],
        finished: Callable[[], None],
    ) -> None:
        """Ask for a rating of ticket ``number``; ``submit`` gets the answer (once)."""
        self._number = number
        self._submit = submit
        self._finished = finished
        self._sent = False
        self._gen += 1
        self.answer = None
        for t in self._toggles.values():
            t.state = "normal"
        self._titles["level"].show(tr("rate_ticket", self.lang(), number=number))
        self.manager.current = "rate_level"

    @property
    def active(self) -> bool:
        return self.manager.current in self.SCREENS and not self._sent

    def _chose_level(self, level: RawLevel) -> None:
        if self._sent:
            return
        self.answer = RatingAnswer(self._number, level)
        self.manager.current = "rate_praise" if level.official.positive else "rate_reasons"

    def _selected(self, kind: str) -> list[str]:
        prefix = f"{kind}-"
        return [
            k[len(prefix) :]
            for k, t in self._toggles.items()
            if k.startswith(prefix) and t.state == "down"
        ]

    def _send(self) -> None:
        if self.answer is None or self._sent or not self.guard.allow():
            return
        if self.answer.level.official.positive:
            self.answer.praised = self._selected("praise")
        else:
            self.answer.reasons = self._selected("reason")
        self._deliver()

    def _skip(self) -> None:
        if self.answer is None or self._sent or not self.guard.allow():
            return
        self._deliver()

    def timeout(self) -> bool:
        """The citizen walked away: send the level alone (if chosen). True if sent."""
        if self.answer is None or self._sent:
            self._end()
            return False
        self.answer.partial = True
        self.answer.praised, self.answer.reasons = [], []
        self._deliver(thanks=False)
        return True

    def _deliver(self, thanks: bool = True) -> None:
        self._sent = True
        assert self.answer is not None and self._submit is not None
        self._submit(self.answer)
        if thanks:
            self.manager.current = "rate_thanks"
            gen = self._gen
            Clock.schedule_once(lambda _dt: gen == self._gen and self._end(), self.thanks_s)
        else:
            self._end()

    def _end(self) -> None:
        finished, self._finished = self._finished, None
        if finished is not None:
            finished()
