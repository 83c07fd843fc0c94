"""The rating flow the desk pad and the kiosk's "rate a visit" share.

level (faces) → after a negative level: what went wrong (5 Không, and 4 Xin / 4 Luôn
items missed), several allowed → after a positive level: what went well (optional) →
"Xin cảm ơn ông/bà". The answer is never shown back on screen.

If the citizen stops touching after choosing a level, ``timeout()`` sends the level
alone, marked partial. Presses closer together than ``min_gap_s`` are ignored.

This module is the flow (what was answered, which screen comes next, when it is sent);
the screens themselves are ``touch_ui/rating_screens.py`` with their ``.kv`` layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kivy.clock import Clock
from kivy.uix.screenmanager import ScreenManager

from protocol.conduct import SCALES, RawLevel
from touch_ui.rating_screens import (
    PRAISE_ITEMS,
    REASON_ITEMS,
    RateChoicesScreen,
    RateLevelScreen,
    RateThanksScreen,
)
from touch_ui.widgets import PressGuard


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
        *,
        scale: int = 3,
        min_gap_s: float = 1.0,
        thanks_s: float = 4.0,
    ) -> None:
        self.manager = manager
        self.levels = SCALES[scale]
        self.guard = PressGuard(min_gap_s)
        self.thanks_s = thanks_s
        self.answer: RatingAnswer | None = None
        self._number = ""
        self._submit: Callable[[RatingAnswer], None] | None = None
        self._finished: Callable[[], None] | None = None
        self._sent = False
        self._gen = 0
        self.level_screen = RateLevelScreen(self.levels, self._chose_level, self.guard)
        self.reasons = RateChoicesScreen(
            "reason",
            REASON_ITEMS,
            name="rate_reasons",
            title_key="reasons_title",
            on_send=self._send,
            on_skip=None,
            guard=self.guard,
        )
        self.praise = RateChoicesScreen(
            "praise",
            PRAISE_ITEMS,
            name="rate_praise",
            title_key="praise_title",
            on_send=self._send,
            on_skip=self._skip,
            guard=self.guard,
        )
        for screen in (self.level_screen, self.reasons, self.praise, RateThanksScreen()):
            self.manager.add_widget(screen)

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
        self.reasons.clear()
        self.praise.clear()
        self.level_screen.number = number
        self.manager.current = "rate_level"

    @property
    def active(self) -> bool:
        return self.manager.current in self.SCREENS and not self._sent

    def _chose_level(self, level: RawLevel) -> None:
        if self._sent:
            return
        self.answer = RatingAnswer(self._number, level)
        self.manager.current = "rate_praise" if level.official.positive else "rate_reasons"

    def _send(self) -> None:
        if self.answer is None or self._sent or not self.guard.allow():
            return
        if self.answer.level.official.positive:
            self.answer.praised = self.praise.selected()
        else:
            self.answer.reasons = self.reasons.selected()
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

            def end_thanks(_dt: float) -> None:
                if gen == self._gen:  # not if another rating began meanwhile
                    self._end()

            Clock.schedule_once(end_thanks, self.thanks_s)
        else:
            self._end()

    def _end(self) -> None:
        finished, self._finished = self._finished, None
        if finished is not None:
            finished()
