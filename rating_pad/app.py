"""The pad app (Kivy). Import only after ``touch_ui.boot.configure``.

idle (desk, clerk on duty, the number being served) → when the clerk marks the visit
done, the shared rating flow opens by itself → "Xin cảm ơn ông/bà" → idle.

The idle screen is ``rating_pad/screens/idle.py`` with its ``.kv`` layout; the rating
screens are ``touch_ui``'s. This class wires them to the core.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.uix.boxlayout import BoxLayout

from rating_pad.config import PadConfig
from rating_pad.core import PadCore
from rating_pad.screens.idle import IdleScreen
from touch_ui.rating_flow import RatingAnswer, RatingFlow
from touch_ui.shell import TouchApp

log = logging.getLogger(__name__)


class PadApp(TouchApp):
    title = "motcua – đánh giá"

    core: PadCore
    offline_text = "pad_offline_banner"

    def __init__(self, config: PadConfig, core: PadCore, **kw: Any) -> None:
        super().__init__(config, core, **kw)
        self.cfg = config
        self._rating: Any = None  # ticket id being rated now
        self.sent: list[dict[str, Any]] = []  # what this run sent (tests, support)

    def build(self) -> BoxLayout:
        self.idle = IdleScreen()
        root = self.make_root([self.idle])
        r = self.cfg.rating
        self.flow = RatingFlow(self.sm, scale=r.scale, min_gap_s=r.min_gap_s, thanks_s=r.thanks_s)
        self.refresh()
        return root

    # ------------------------------------------------------------------ live

    def refresh(self) -> None:
        self.idle.show_desk(self.core.desk, self.cfg.desk_id)
        self.update_banner()
        self._maybe_rate()

    def update_banner(self) -> None:
        if not self.core.check_desk():
            super().update_banner()
            return
        text = self.tr("pad_wrong_desk", desk=self.cfg.desk_id, device=self.cfg.device_id)
        self.banner.show(text)
        self.banner.text_size = (self.banner.width * 0.96, None)
        self.banner.halign = "center"
        self.banner.height = self.banner.font_size * 3.2

    def _maybe_rate(self) -> None:
        if self.flow.active or self.sm.current == "rate_thanks":
            return
        todo = self.core.to_rate()
        if todo is None or todo[0] == self._rating:
            return
        ticket_id, number = todo
        self._rating = ticket_id
        self.touched()  # the idle timeout counts from the moment the question appears
        self.flow.begin(number, self._submit, self._finished)

    def _submit(self, answer: RatingAnswer) -> None:
        ticket_id = self._rating
        self.core.send_rating(
            ticket_id, answer.level, answer.praised, answer.reasons, partial=answer.partial
        )
        self.sent.append(
            {"ticket_id": str(ticket_id), "level": answer.level.value, "partial": answer.partial}
        )

    def _finished(self) -> None:
        self.sm.current = "idle"
        self._maybe_rate()  # a next visit may already be waiting

    def on_idle(self) -> None:
        if self.flow.active:
            self.flow.timeout()  # the level alone, if chosen; then back to idle
        elif self.sm.current != "idle" and self.sm.current != "rate_thanks":
            self.sm.current = "idle"

    def describe(self) -> dict[str, Any]:
        return {
            "screen": self.sm.current,
            "online": self.core.online,
            "banner": self.banner.text,
            "wrong_desk": self.core.wrong_desk,
            "rating": str(self._rating) if self._rating else None,
            "sent": self.sent,
            "outbox": self.core.link.outbox_depth(),
        }
