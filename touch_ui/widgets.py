"""Large, plain widgets for people who rarely use a touchscreen.

They work both from Python (``BigButton("Quay lại", go_back, share=4)``) and from the
screens' ``.kv`` files (``share: 4`` / ``on_activate: app.go('welcome')``): what used to be
constructor-only arguments are Kivy properties. ``TouchScreen`` is the base of every
screen: its ``lang`` follows the app's language, so a language change updates the texts in
place (kv binds them to ``app.lang``; texts made in Python are redone in ``on_lang``).
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.graphics import Color, Ellipse, Line, Rectangle
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from touch_ui import theme


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class Tagged:
    """``tid``: a stable name for a widget (tests and screenshots find it by this)."""

    tid = StringProperty("")


def _fill(widget: Widget, rgba: tuple[float, ...]) -> None:
    with widget.canvas.before:
        color = Color(*rgba)
        rect = Rectangle(pos=widget.pos, size=widget.size)
    widget._bg = (color, rect)
    widget.bind(
        pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v)
    )


def set_fill(widget: Widget, rgba: tuple[float, ...]) -> None:
    widget._bg[0].rgba = rgba


class Text(Tagged, Label):
    """Wrapped, centred text; ``share`` is the font size in % of the screen height.

    Whatever is shown is NFC (kv-bound texts included), so fonts draw precomposed letters.
    """

    share = NumericProperty(4.0)

    def __init__(self, text: str = "", share: float = 4, bold: bool = False, **kw: Any) -> None:
        kw.setdefault("color", theme.TEXT)
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        super().__init__(text=nfc(text), share=share, font_size=theme.font(share), bold=bold, **kw)
        self.bind(size=lambda w, s: setattr(w, "text_size", (s[0] * 0.96, None)))

    def on_share(self, _w: Any, share: float) -> None:
        self.font_size = theme.font(share)

    def on_text(self, _w: Any, text: str) -> None:
        if nfc(text) != text:
            self.text = nfc(text)

    def show(self, text: str) -> None:
        self.text = nfc(text)


class Panel(BoxLayout):
    """A box with a background colour."""

    def __init__(self, fill: tuple[float, ...] = theme.BACKGROUND, **kw: Any) -> None:
        super().__init__(**kw)
        _fill(self, fill)


class BigButton(Tagged, Button):
    """A large button with wrapped text; ``guard`` can swallow presses that come too fast.

    A press the guard lets through calls ``on_press_cb`` and fires ``on_activate`` (what
    the ``.kv`` files bind: ``on_release`` would also fire for a swallowed press).
    """

    __events__ = ("on_activate",)

    share = NumericProperty(4.5)
    primary = BooleanProperty(True)
    guard = ObjectProperty(None, allownone=True)

    def __init__(
        self,
        text: str = "",
        on_press_cb: Callable[[], None] | None = None,
        *,
        tid: str = "",
        share: float = 4.5,
        primary: bool = True,
        guard: PressGuard | None = None,
        **kw: Any,
    ) -> None:
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", theme.touch_height())
        super().__init__(
            text=nfc(text),
            tid=tid,
            share=share,
            primary=primary,
            guard=guard,
            font_size=theme.font(share),
            background_normal="",
            background_down="",
            halign="center",
            valign="middle",
            markup=True,
            **kw,
        )
        self._cb = on_press_cb
        self._paint()
        self.bind(size=lambda w, s: setattr(w, "text_size", (s[0] * 0.92, None)))

    def _paint(self, *_a: Any) -> None:
        if self.primary:
            down = self.state == "down"
            self.background_color = theme.PRIMARY_DOWN if down else theme.PRIMARY
            self.color = theme.ON_PRIMARY
        else:
            self.background_color = theme.SECONDARY
            self.color = theme.TEXT

    def on_share(self, _w: Any, share: float) -> None:
        self.font_size = theme.font(share)

    def on_primary(self, *_a: Any) -> None:
        self._paint()

    def on_state(self, *_a: Any) -> None:
        self._paint()

    def on_release(self) -> None:
        if self.guard is not None and not self.guard.allow():
            return
        if self._cb is not None:
            self._cb()
        self.dispatch("on_activate")

    def on_activate(self) -> None:
        """A press the guard let through (kv: ``on_activate: app.go('welcome')``)."""


class PressGuard:
    """Ignores presses closer together than ``min_gap_s`` (a shaky or double tap)."""

    def __init__(self, min_gap_s: float = 0.0) -> None:
        self.min_gap_s = min_gap_s
        self._last = 0.0

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.min_gap_s:
            return False
        self._last = now
        return True


class ChoiceToggle(Tagged, ToggleButton):
    """A large on/off choice: light when off, dark blue with a tick when on."""

    label_text = ""

    def __init__(
        self,
        text: str,
        *,
        tid: str = "",
        share: float = 3.2,
        guard: PressGuard | None = None,
        **kw: Any,
    ) -> None:
        self.label_text = nfc(text)
        self._guard = guard
        kw.setdefault("size_hint_y", None)
        kw.setdefault("height", theme.touch_height(10))
        super().__init__(
            font_size=theme.font(share),
            background_normal="",
            background_down="",
            halign="center",
            valign="middle",
            **kw,
        )
        self.label_text = nfc(text)
        self.tid = tid
        self._paint()
        self.bind(size=lambda w, s: setattr(w, "text_size", (s[0] * 0.92, None)))

    def _paint(self, *_a: Any) -> None:
        on = self.state == "down"
        self.background_color = theme.PRIMARY if on else theme.SECONDARY
        self.color = theme.ON_PRIMARY if on else theme.TEXT
        self.text = self.label_text
        if self.canvas is None:  # still being constructed
            return
        # A drawn tick at the left (the UI font has no check-mark glyph).
        self.canvas.after.clear()
        if on:
            h = min(self.height * 0.45, theme.unit() * 4)
            x, y = self.x + h * 0.6, self.center_y
            with self.canvas.after:
                Color(*theme.ON_PRIMARY)
                Line(
                    points=[x, y, x + h * 0.35, y - h * 0.4, x + h, y + h * 0.45],
                    width=max(2.0, h * 0.1),
                    cap="round",
                    joint="round",
                )

    def relabel(self, text: str) -> None:
        """Show ``text`` (another language) without touching the choice."""
        self.label_text = nfc(text)
        self.text = self.label_text

    def on_state(self, _w: Any, _state: str) -> None:
        self._paint()

    def _do_press(self) -> None:
        if self._guard is not None and not self._guard.allow():
            return  # a second tap too soon (e.g. the end of a double tap on the level)
        super()._do_press()

    def on_size(self, *_a: Any) -> None:
        self._paint()

    def on_pos(self, *_a: Any) -> None:
        self._paint()


class Face(Widget):
    """A drawn face: ``mood`` 1 (big smile) … -1 (frown). No emoji font needed."""

    mood = NumericProperty(1.0)

    def __init__(self, rgba: tuple[float, ...], **kw: Any) -> None:
        super().__init__(**kw)
        self.rgba = rgba
        self.bind(pos=self._draw, size=self._draw, mood=self._draw)

    def _draw(self, *_a: Any) -> None:
        self.canvas.clear()
        d = min(self.width, self.height) * 0.9
        cx, cy = self.center
        x0, y0 = cx - d / 2, cy - d / 2
        w = max(2.0, d * 0.05)
        with self.canvas:
            Color(*self.rgba)
            Ellipse(pos=(x0, y0), size=(d, d))
            Color(1, 1, 1, 1)
            e = d * 0.12
            Ellipse(pos=(cx - d * 0.22 - e / 2, cy + d * 0.1), size=(e, e))
            Ellipse(pos=(cx + d * 0.22 - e / 2, cy + d * 0.1), size=(e, e))
            m = self.mood
            mw, my = d * 0.5, cy - d * 0.2
            bend = d * 0.18 * m
            Line(
                bezier=[cx - mw / 2, my + bend / 2, cx, my - bend, cx + mw / 2, my + bend / 2],
                width=w,
                cap="round",
            )


class FaceButton(Tagged, ButtonBehavior, BoxLayout):
    """A rating choice: a face above its words."""

    def __init__(
        self,
        label: str,
        mood: float,
        rgba: tuple[float, ...],
        on_press_cb: Callable[[], None],
        *,
        tid: str = "",
        guard: PressGuard | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(orientation="vertical", padding=theme.unit() * 1.5, **kw)
        _fill(self, theme.SECONDARY)
        self.tid = tid
        self._cb = on_press_cb
        self._guard = guard
        face = Face(rgba, size_hint_y=0.7)
        face.mood = mood
        self.add_widget(face)
        self.label = Text(label, share=4, bold=True, size_hint_y=0.3, color=rgba)
        self.add_widget(self.label)

    def relabel(self, text: str) -> None:
        """The words under the face in another language."""
        self.label.show(text)

    def on_state(self, _w: Any, state: str) -> None:
        set_fill(self, theme.PRIMARY_DOWN if state == "down" else theme.SECONDARY)

    def on_release(self) -> None:
        if self._guard is not None and not self._guard.allow():
            return
        self._cb()


class Banner(Tagged, Label):
    """A strip across the bottom of the screen (e.g. offline); hidden when empty."""

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("size_hint_y", None)
        super().__init__(font_size=theme.font(2.6), color=(1, 1, 1, 1), **kw)
        _fill(self, theme.BANNER_BG)
        self.tid = "banner"
        self.show("")

    def show(self, text: str) -> None:
        self.text = nfc(text)
        self.height = theme.unit() * 5 if text else 0
        self.opacity = 1 if text else 0


class Keypad(GridLayout):
    """Digits (and optional letters) for typing a ticket number or a PIN."""

    def __init__(
        self,
        on_key: Callable[[str], None],
        letters: list[str] | None = None,
        *,
        extra: list[tuple[str, str]] | None = None,
        **kw: Any,
    ) -> None:
        letters = list(letters or [])
        # Letters on a row of their own (padded), then the digits in order.
        cols = max(5, len(letters)) if letters else 3
        keys: list[str | None] = [*letters, *[None] * (-len(letters) % cols)]
        keys += [str(d) for d in (1, 2, 3, 4, 5, 6, 7, 8, 9, 0)]
        super().__init__(cols=cols, spacing=theme.unit(), **kw)
        for key in keys:
            if key is None:
                self.add_widget(Widget())
                continue
            self.add_widget(
                BigButton(key, partial(on_key, key), tid=f"key-{key}", share=5, primary=False)
            )
        #: The command keys (clear, back, ok…) by code, to relabel in another language.
        self.extra_buttons: dict[str, BigButton] = {}
        for code, label in extra or []:
            button = BigButton(label, partial(on_key, code), tid=f"key-{code}", share=3.5)
            self.extra_buttons[code] = button
            self.add_widget(button)
        self.size_hint_y = None
        rows = -(-len(self.children) // cols)
        self.height = rows * (theme.touch_height(9) + theme.unit())
        for child in self.children:
            child.height = theme.touch_height(9)


class TouchScreen(Screen):
    """A screen whose ``lang`` follows the app's ``lang`` (the kv rule below).

    Texts in the screen's ``.kv`` file bind to ``app.lang`` themselves; a subclass that
    makes texts in Python redoes them in ``on_lang``.
    """

    lang = StringProperty("vi")


Builder.load_string(
    """
<TouchScreen>:
    lang: app.lang
"""
)
