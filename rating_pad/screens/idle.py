"""``idle``: the desk, the clerk on duty and the number being served, between ratings."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from protocol.messages import DeskState
from rating_pad.screens import load_kv
from touch_ui.widgets import TouchScreen

load_kv("idle")


class IdleScreen(TouchScreen):
    #: The desk's name (its id until the server's desk state arrives).
    desk = StringProperty("")
    #: The clerk on duty, "" when nobody works the desk.
    clerk = StringProperty("")
    #: The desk is paused ("Quầy tạm dừng").
    paused = BooleanProperty(False)
    #: The number being served, "" when none.
    serving = StringProperty("")

    def show_desk(self, state: DeskState | None, desk_id: str) -> None:
        """What the server's retained desk state says (None: not received yet)."""
        self.desk = state.name if state else desk_id
        self.clerk = state.clerk.name if state and state.clerk else ""
        self.paused = bool(state and state.paused)
        self.serving = state.serving.number if state and state.serving else ""
