"""Suspicious rating patterns: flagged for a supervisor to look at, never deleted.

- ``burst``: ratings at one desk pressed seconds apart (``BURST_GAP_S``), at least
  ``BURST_MIN`` in a row — one person pressing for several visits;
- ``too_perfect``: a desk whose ratings are all "Rất hài lòng" and answered almost at
  once after "done" (median under ``QUICK_ANSWER_S``), over at least ``PERFECT_MIN``;
- ``phantom_service``: ratings of visits served in under ``PHANTOM_SERVICE_S`` — a
  number called and finished with no citizen really served.

Each flag says by how many points the period's satisfaction % would change without
its ratings; the ratings stay counted in every figure.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from protocol.conduct import Level
from server.reports.compute import pct, satisfaction
from server.reports.load import Rated
from server.reports.model import Flag

BURST_GAP_S = 5.0
BURST_MIN = 3
QUICK_ANSWER_S = 2.0
PERFECT_MIN = 20
PHANTOM_SERVICE_S = 20.0


def _delta(all_rated: Sequence[Rated], flagged: Sequence[Rated]) -> float | None:
    """Satisfaction % without ``flagged`` − with them, in points."""
    sat, total = satisfaction(all_rated)
    f_sat, f_total = satisfaction(flagged)
    with_them, without = pct(sat, total), pct(sat - f_sat, total - f_total)
    if with_them is None or without is None:
        return None
    return round(without - with_them, 1)


def _flag(kind: str, rows: Sequence[Rated], all_rated: Sequence[Rated], vi: str, en: str) -> Flag:
    times = [r.sent for r in rows]
    clerks = {r.clerk_id for r in rows}
    return Flag(
        kind=kind,
        desk_id=rows[0].desk_id,
        clerk_id=clerks.pop() if len(clerks) == 1 else None,
        count=len(rows),
        first_at=datetime.fromtimestamp(min(times), UTC),
        last_at=datetime.fromtimestamp(max(times), UTC),
        delta_pct=_delta(all_rated, rows),
        detail=vi,
        detail_en=en,
    )


def _bursts(by_desk: dict[str, list[Rated]], rated: Sequence[Rated]) -> list[Flag]:
    out: list[Flag] = []
    for rows in by_desk.values():
        run: list[Rated] = []
        for r in [*rows, None]:
            if r is not None and run and r.sent - run[-1].sent <= BURST_GAP_S:
                run.append(r)
                continue
            if len(run) >= BURST_MIN:
                span = run[-1].sent - run[0].sent
                out.append(
                    _flag(
                        "burst",
                        run,
                        rated,
                        f"{len(run)} lượt đánh giá liên tiếp trong {span:.0f} giây",
                        f"{len(run)} ratings in a row within {span:.0f} s",
                    )
                )
            run = [r] if r is not None else []
    return out


def _too_perfect(by_desk: dict[str, list[Rated]], rated: Sequence[Rated]) -> list[Flag]:
    out: list[Flag] = []
    for rows in by_desk.values():
        answers = [r.sent - r.ended for r in rows if r.ended is not None]
        if (
            len(rows) >= PERFECT_MIN
            and all(r.level == Level.VERY_SATISFIED for r in rows)
            and answers
            and statistics.median(answers) < QUICK_ANSWER_S
        ):
            out.append(
                _flag(
                    "too_perfect",
                    rows,
                    rated,
                    f"Cả {len(rows)} lượt đều “Rất hài lòng”, trả lời chưa đến "
                    f"{QUICK_ANSWER_S:.0f} giây sau khi kết thúc",
                    f"all {len(rows)} ratings top level, answered within "
                    f"{QUICK_ANSWER_S:.0f} s of the end of service",
                )
            )
    return out


def _phantoms(by_desk: dict[str, list[Rated]], rated: Sequence[Rated]) -> list[Flag]:
    out: list[Flag] = []
    for rows in by_desk.values():
        short = [
            r
            for r in rows
            if r.started is not None
            and r.ended is not None
            and r.ended - r.started < PHANTOM_SERVICE_S
        ]
        if short:
            out.append(
                _flag(
                    "phantom_service",
                    short,
                    rated,
                    f"{len(short)} lượt đánh giá cho lượt phục vụ dưới "
                    f"{PHANTOM_SERVICE_S:.0f} giây (có thể không có công dân)",
                    f"{len(short)} ratings of services shorter than "
                    f"{PHANTOM_SERVICE_S:.0f} s (perhaps nobody was served)",
                )
            )
    return out


def find_flags(rated: Sequence[Rated]) -> list[Flag]:
    """Every suspicious pattern in the ratings of a report, biggest first."""
    by_desk: dict[str, list[Rated]] = defaultdict(list)
    for r in sorted(rated, key=lambda r: r.sent):
        by_desk[r.desk_id].append(r)
    flags = [
        *_bursts(by_desk, rated),
        *_too_perfect(by_desk, rated),
        *_phantoms(by_desk, rated),
    ]
    return sorted(flags, key=lambda f: (-f.count, f.first_at))
