"""The report's four charts as reportlab vector drawings, from `server.reports.charts`
data (the same numbers the page draws with Chart.js): satisfaction over time against
the target, satisfaction per clerk, Pareto charts of reasons and praise, and the
weekday × hour heat map. Text in DejaVu Sans (every Vietnamese letter)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from server.reports.pdf_fonts import BOLD, REGULAR, register_fonts

BLUE = colors.HexColor("#2F6DB5")
LIGHT_BLUE = colors.HexColor("#A9C4E8")
RED = colors.HexColor("#C0392B")
ORANGE = colors.HexColor("#D9822B")
GREEN = colors.HexColor("#3C8D5A")
GREY = colors.HexColor("#808080")
GRID = colors.HexColor("#D9D9D9")
INK = colors.HexColor("#222222")


def num(value: float | None, lang: str, decimals: int = 1) -> str:
    """97,4 in Vietnamese, 97.4 in English; "—" for no data."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    if lang != "en":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def _drawing(width: float, height: float) -> Drawing:
    """An empty drawing whose default font is DejaVu (not reportlab's Helvetica)."""
    register_fonts()
    d = Drawing(width, height)
    d.initialFontName = REGULAR
    return d


def _text(
    d: Drawing | Group,
    x: float,
    y: float,
    s: str,
    size: float = 7,
    anchor: str = "start",
    bold: bool = False,
    color: Any = INK,
) -> None:
    d.add(
        String(
            x,
            y,
            s,
            fontName=BOLD if bold else REGULAR,
            fontSize=size,
            textAnchor=anchor,
            fillColor=color,
        )
    )


def _rotated(d: Drawing, x: float, y: float, s: str, angle: float, size: float) -> None:
    """Text ending at (x, y), rotated ``angle`` degrees counter-clockwise (axis labels)."""
    g = Group(String(0, 0, s, fontName=REGULAR, fontSize=size, textAnchor="end", fillColor=INK))
    g.translate(x, y)
    g.rotate(angle)
    d.add(g)


def _title(d: Drawing, title: str, height: float) -> None:
    _text(d, 0, height - 11, title, size=9.5, bold=True)


def _no_data(d: Drawing, width: float, height: float, message: str) -> Drawing:
    d.add(Rect(0, 0, width, height - 18, strokeColor=GRID, fillColor=None, strokeWidth=0.5))
    _text(d, width / 2, (height - 18) / 2, message, size=9, anchor="middle", color=GREY)
    return d


def _nice_floor(value: float, step: float = 10) -> float:
    return max(0.0, math.floor(value / step) * step)


def _dash(x1: float, y1: float, x2: float, y2: float, color: Any = RED, width: float = 1) -> Line:
    return Line(x1, y1, x2, y2, strokeColor=color, strokeWidth=width, strokeDashArray=[4, 2])


def _legend(d: Drawing, x: float, y: float, entries: Sequence[tuple[str, str, Any]]) -> None:
    """Entries (kind: "line", "dash", "box", "hollow"; label; colour) from right to left."""
    for kind, label, color in reversed(entries):
        x -= stringWidth(label, REGULAR, 7)
        _text(d, x, y, label)
        x -= 16
        if kind == "line":
            d.add(Line(x, y + 2.5, x + 12, y + 2.5, strokeColor=color, strokeWidth=1.5))
        elif kind == "dash":
            d.add(_dash(x, y + 2.5, x + 12, y + 2.5, color))
        elif kind == "hollow":
            d.add(Circle(x + 6, y + 2.5, 2.5, strokeColor=color, fillColor=colors.white))
        else:
            d.add(Rect(x + 2, y - 0.5, 8, 6, strokeColor=None, fillColor=color))
        x -= 10


def trend_chart(data: dict[str, Any], width: float, height: float, lang: str) -> Drawing:
    """Satisfaction % per point as a line (hollow markers: small samples), the target as
    a dashed step line."""
    d = _drawing(width, height)
    _title(d, data["title"], height)
    values: list[float | None] = data["satisfaction_pct"]
    targets: list[float | None] = data["target_pct"]
    known = [v for v in values if v is not None]
    if not known:
        return _no_data(d, width, height, data.get("no_data", "—"))
    left, right, bottom, top = 30, 8, 28, 30
    pw, ph = width - left - right, height - bottom - top
    lo = _nice_floor(min(known + [t for t in targets if t is not None]) - 3)
    hi = 100.0
    step = 5 if hi - lo <= 30 else 10

    def y_of(v: float) -> float:
        return bottom + (v - lo) / (hi - lo) * ph

    tick = lo
    while tick <= hi + 0.01:
        y = y_of(tick)
        d.add(Line(left, y, left + pw, y, strokeColor=GRID, strokeWidth=0.4))
        _text(d, left - 3, y - 2.5, f"{tick:g}", size=6.5, anchor="end")
        tick += step
    n = len(values)
    slot = pw / n

    def x_of(i: int) -> float:
        return left + slot * (i + 0.5)

    every = max(1, math.ceil(n / 16))
    for i, label in enumerate(data["labels"]):
        if i % every == 0:
            _text(d, x_of(i), bottom - 10, label, size=6.5, anchor="middle")
    # target: a step line, one flat segment per point
    for i, t in enumerate(targets):
        if t is not None:
            d.add(_dash(left + slot * i, y_of(t), left + slot * (i + 1), y_of(t)))
    _trend_line(d, values, x_of, y_of)
    for i, v in enumerate(values):
        if v is None:
            continue
        small = data["small_sample"][i]
        d.add(
            Circle(
                x_of(i),
                y_of(v),
                2.2,
                strokeColor=BLUE,
                strokeWidth=1,
                fillColor=colors.white if small else BLUE,
            )
        )
        if n <= 16:
            _text(d, x_of(i), y_of(v) + 4, num(v, lang), size=6, anchor="middle")
    _legend(d, width, height - 24, _trend_legend(data, targets, lang))
    d.add(Line(left, bottom, left + pw, bottom, strokeColor=GREY, strokeWidth=0.6))
    return d


def _trend_line(
    d: Drawing,
    values: list[float | None],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
) -> None:
    """The line through the known points, broken where a point has no value."""
    run: list[float] = []
    for i, v in enumerate([*values, None]):
        if v is None:
            if len(run) >= 4:
                d.add(PolyLine(run, strokeColor=BLUE, strokeWidth=1.4))
            run = []
            continue
        run += [x_of(i), y_of(v)]


def _trend_legend(
    data: dict[str, Any], targets: list[float | None], lang: str
) -> list[tuple[str, str, Any]]:
    """The line, the latest target (if any) and the small-sample marker (if used)."""
    last_target = next((t for t in reversed(targets) if t is not None), None)
    entries: list[tuple[str, str, Any]] = [("line", data["y_label"], BLUE)]
    if last_target is not None:
        entries.append(("dash", f"{data['target_label']} {num(last_target, lang, 0)} %", RED))
    if any(data["small_sample"]):
        entries.append(("hollow", data.get("small_sample_label", "*"), BLUE))
    return entries


def clerk_chart(data: dict[str, Any], width: float, lang: str) -> Drawing:
    """Horizontal bars, best first; small samples pale and starred; the target dashed."""
    register_fonts()  # before measuring names
    names: list[str] = data["labels"]
    bar, gap = 11, 6
    top, bottom = 34, 18
    height = top + bottom + max(1, len(names)) * (bar + gap)
    d = _drawing(width, height)
    _title(d, data["title"], height)
    if not names:
        return _no_data(d, width, height, data.get("no_data", "—"))
    name_w: float = min(150, max(stringWidth(n, REGULAR, 7.5) for n in names) + 8)
    left, right = name_w, 78
    pw = width - left - right

    def x_of(v: float) -> float:
        return left + v / 100 * pw

    y0 = bottom
    for tick in range(0, 101, 20):
        x = x_of(tick)
        d.add(Line(x, y0, x, height - top + 4, strokeColor=GRID, strokeWidth=0.4))
        _text(d, x, y0 - 10, f"{tick}", size=6.5, anchor="middle")
    for i, name in enumerate(names):
        y = height - top - (i + 1) * (bar + gap) + gap
        v = data["satisfaction_pct"][i]
        small = data["small_sample"][i]
        _text(d, left - 5, y + 2.5, name, size=7.5, anchor="end")
        if v is None:
            _text(d, left + 3, y + 2.5, "—", size=7, color=GREY)
            continue
        d.add(
            Rect(
                left,
                y,
                x_of(v) - left,
                bar,
                strokeColor=None,
                fillColor=LIGHT_BLUE if small else BLUE,
            )
        )
        label = f"{num(v, lang)} %" + (" *" if small else "")
        n = data["ratings"][i]
        _text(d, x_of(v) + 3, y + 2.5, label, size=7, bold=not small)
        _text(d, width, y + 2.5, f"n={n}", size=6, anchor="end", color=GREY)
    target = data.get("target_pct")
    entries: list[tuple[str, str, Any]] = []
    if target is not None:
        d.add(_dash(x_of(target), y0, x_of(target), height - top + 4))
        entries.append(("dash", f"{data['target_label']} {num(target, lang, 0)} %", RED))
    if any(data["small_sample"]):
        entries.append(("box", "* " + data.get("small_sample_label", ""), LIGHT_BLUE))
    _legend(d, width, height - 24, entries)
    return d


def pareto_chart(
    data: dict[str, Any], width: float, height: float, lang: str, color: Any = ORANGE
) -> Drawing:
    """Bars (times given, most frequent first) and the cumulative % as a line (right axis)."""
    d = _drawing(width, height)
    _title(d, data["title"], height)
    counts: list[int] = data["counts"]
    if not counts:
        return _no_data(d, width, height, data.get("no_data", "—"))
    labels: list[str] = data["labels"]
    angle, size = 30, 6.5
    longest: float = max(stringWidth(s, REGULAR, size) for s in labels)
    bottom = min(120, longest * math.sin(math.radians(angle)) + 12)
    left, right, top = 30.0, 30, 30
    # the first label runs left under the axis: keep it inside the drawing
    left = max(left, longest * math.cos(math.radians(angle)) - 10)
    pw, ph = width - left - right, height - bottom - top
    peak = max(counts)
    step = max(1, 10 ** math.floor(math.log10(peak)) if peak >= 10 else 1)
    while peak / step > 6:
        step *= 2
    hi = math.ceil(peak / step) * step

    def y_of(v: float, scale: float) -> float:
        return bottom + v / scale * ph

    tick = 0
    while tick <= hi:
        d.add(
            Line(left, y_of(tick, hi), left + pw, y_of(tick, hi), strokeColor=GRID, strokeWidth=0.4)
        )
        _text(d, left - 3, y_of(tick, hi) - 2.5, num(tick, lang, 0), size=6.5, anchor="end")
        tick += step
    for pct in range(0, 101, 25):
        _text(d, left + pw + 3, y_of(pct, 100) - 2.5, f"{pct} %", size=6.5, color=GREY)
    slot = pw / len(counts)
    bar = min(28, slot * 0.7)
    points: list[float] = []
    for i, (n, cum) in enumerate(zip(counts, data["cumulative_pct"], strict=True)):
        cx = left + slot * (i + 0.5)
        d.add(
            Rect(cx - bar / 2, bottom, bar, y_of(n, hi) - bottom, strokeColor=None, fillColor=color)
        )
        if y_of(n, hi) - bottom > 14:  # inside the bar: clear of the cumulative line
            _text(d, cx, y_of(n, hi) - 9, num(n, lang, 0), 6.5, "middle", color=colors.white)
        else:
            _text(d, cx, y_of(n, hi) + 2, num(n, lang, 0), size=6.5, anchor="middle")
        points += [cx, y_of(cum, 100)]
        _rotated(d, cx + 3, bottom - 6, labels[i], angle, size)
    d.add(PolyLine(points, strokeColor=INK, strokeWidth=1))
    for i in range(0, len(points), 2):
        d.add(
            Circle(
                points[i],
                points[i + 1],
                1.8,
                strokeColor=INK,
                fillColor=colors.white,
                strokeWidth=0.8,
            )
        )
    d.add(Line(left, bottom, left + pw, bottom, strokeColor=GREY, strokeWidth=0.6))
    _legend(
        d,
        width,
        height - 24,
        [("box", data["y_label"], color), ("line", data["cumulative_label"], INK)],
    )
    return d


def _shade(value: int, peak: int) -> Any:
    """White to blue by ``value / peak``."""
    t = 0.0 if peak <= 0 else value / peak
    white, blue = (1.0, 1.0, 1.0), (0x2F / 255, 0x6D / 255, 0xB5 / 255)
    return colors.Color(*(w + (b - w) * t for w, b in zip(white, blue, strict=True)))


def heatmap_chart(data: dict[str, Any], width: float, lang: str) -> Drawing:
    """Weekday rows × hour columns, each cell shaded by arrivals, the count written in it."""
    hours: list[int] = data["hours"]
    rows: list[str] = data["rows"]
    cell_h = 15
    top, bottom, left = 34, 18, 34
    height = top + bottom + cell_h * len(rows)
    d = _drawing(width, height)
    _title(d, data["title"], height)
    peak = data["max"]
    if peak <= 0:
        return _no_data(d, width, height, data.get("no_data", "—"))
    cell_w = (width - left) / len(hours)
    y_top = height - top
    for j, h in enumerate(hours):
        _text(d, left + cell_w * (j + 0.5), y_top + 4, f"{h}h", size=6.5, anchor="middle")
    for i, name in enumerate(rows):
        y = y_top - (i + 1) * cell_h
        _text(d, left - 4, y + 4.5, name, size=7, anchor="end", bold=True)
        for j in range(len(hours)):
            n = data["arrivals"][i][j]
            d.add(
                Rect(
                    left + cell_w * j,
                    y,
                    cell_w,
                    cell_h,
                    fillColor=_shade(n, peak),
                    strokeColor=GRID,
                    strokeWidth=0.5,
                )
            )
            if n:
                light = n / peak > 0.55
                _text(
                    d,
                    left + cell_w * (j + 0.5),
                    y + 4.5,
                    num(n, lang, 0),
                    size=6,
                    anchor="middle",
                    color=colors.white if light else INK,
                )
    # legend: "Lượt lấy số  0 [white → blue] 145"
    lw, ly = 110, 4
    high = num(peak, lang, 0)
    lx = width - lw - stringWidth(high, REGULAR, 6.5) - 4
    for k in range(24):
        shade = _shade(round(peak * k / 23), peak)
        d.add(Rect(lx + lw * k / 24, ly, lw / 24 + 0.3, 7, strokeColor=None, fillColor=shade))
    _text(d, lx - 3, ly + 0.5, "0", size=6.5, anchor="end")
    _text(d, lx + lw + 3, ly + 0.5, high, size=6.5)
    label_x = lx - 6 - stringWidth("0", REGULAR, 6.5)
    _text(d, label_x, ly + 0.5, data["value_label"], size=6.5, anchor="end", color=GREY)
    return d
