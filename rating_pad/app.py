"""The pad's screens (Kivy). Import only after ``touch_ui.boot.configure``.

idle (desk, clerk on duty, the number being served) → when the clerk marks the visit
done, the shared rating flow opens by itself → "Xin cảm ơn ông/bà" → idle.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import AsyncImage

from rating_pad.config import PadConfig
from rating_pad.core import PadCore
from touch_ui import theme
from touch_ui.rating_flow import RatingAnswer, RatingFlow
from touch_ui.shell import TouchApp
from touch_ui.widgets import Panel, Text

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
        root = self.make_root(["idle"])
        r = self.cfg.rating
        self.flow = RatingFlow(
            self.sm, lambda: self.lang, scale=r.scale, min_gap_s=r.min_gap_s, thanks_s=r.thanks_s
        )
        self.rebuild()
        return root

    def rebuild(self) -> None:
        u = theme.unit()
        screen = self.sm.get_screen("idle")
        screen.clear_widgets()
        box = Panel(orientation="vertical", padding=(u * 5, u * 4), spacing=u * 2)
        self.desk_label = Text("", share=12, bold=True, color=theme.PRIMARY, size_hint_y=0.3)
        self.desk_label.tid = "desk-name"
        row = BoxLayout(spacing=u * 3, size_hint_y=0.35)
        self.clerk_row = row
        self.photo = AsyncImage(size_hint_x=0.3, fit_mode="contain")
        self.clerk_label = Text("", share=6, bold=True)
        self.clerk_label.tid = "clerk-name"
        row.add_widget(self.clerk_label)
        self.serving_label = Text("", share=6, size_hint_y=0.2)
        self.serving_label.tid = "serving"
        self.greeting = Text("", share=4.5, color=theme.MUTED, size_hint_y=0.15)
        for w in (self.desk_label, row, self.serving_label, self.greeting):
            box.add_widget(w)
        screen.add_widget(box)
        self.flow.build()
        self.refresh()

    # ------------------------------------------------------------------ live

    def refresh(self) -> None:
        desk = self.core.desk
        self.desk_label.show(desk.name if desk else self.cfg.desk_id)
        clerk = desk.clerk if desk else None
        self.clerk_label.show(
            self.tr("pad_clerk", name=clerk.name) if clerk else self.tr("pad_no_clerk")
        )
        photo = clerk.photo_url if clerk and clerk.photo_url else ""
        if photo and self.photo.parent is None:
            self.clerk_row.add_widget(self.photo, index=len(self.clerk_row.children))
        elif not photo and self.photo.parent is not None:
            self.clerk_row.remove_widget(self.photo)  # the name centred without one
        self.photo.source = photo
        if desk is not None and desk.paused:
            serving = self.tr("pad_paused")
        elif desk is not None and desk.serving is not None:
            serving = self.tr("pad_serving", number=desk.serving.number)
        else:
            serving = ""
        self.serving_label.show(serving)
        self.greeting.show(self.tr("pad_greeting"))
        self.update_banner()
        self._maybe_rate()

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
            "rating": str(self._rating) if self._rating else None,
            "sent": self.sent,
            "outbox": self.core.link.outbox_depth(),
        }
