"""Estimated wait: people ahead ÷ open desks × rolling median service time."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median_minutes(
    durations_s: Sequence[float], default_minutes: float, min_samples: int = 3
) -> float:
    """Median of recent service durations, or the configured default with too few."""
    samples = [d for d in durations_s if d > 0]
    if len(samples) < min_samples:
        return default_minutes
    return statistics.median(samples) / 60.0


def eta_minutes(people_ahead: int, open_desks: int, median_service_minutes: float) -> int:
    if people_ahead <= 0:
        return 0
    return math.ceil(people_ahead / max(open_desks, 1) * median_service_minutes)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile (p90 of 10 values is the 9th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
