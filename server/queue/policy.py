"""Which waiting ticket a desk calls next.

FIFO by issue time within each class (priority / normal). Between classes:

* ``strict`` — a waiting priority ticket (người cao tuổi, người khuyết tật, …) is
  always called before any normal one;
* ``every_n`` — one call in N goes to a priority ticket: a priority ticket is called
  once at least N−1 normal tickets were called since the last priority call, or when
  no normal ticket waits. Normal tickets are never starved.

Pure functions, so the rules can be checked with property-based tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeVar

Policy = Literal["strict", "every_n"]


class Waiting(Protocol):
    @property
    def is_priority(self) -> bool: ...


T = TypeVar("T", bound=Waiting)


def pick(
    oldest_normal: T | None,
    oldest_priority: T | None,
    policy: Policy,
    every_n: int,
    normals_since_priority: int,
) -> T | None:
    """The ticket to call, given the head of each class's FIFO queue."""
    if oldest_priority is None:
        return oldest_normal
    if oldest_normal is None or policy == "strict":
        return oldest_priority
    if normals_since_priority >= every_n - 1:
        return oldest_priority
    return oldest_normal


def call_order(
    normal: Sequence[T],
    priority: Sequence[T],
    policy: Policy,
    every_n: int,
    normals_since_priority: int,
    limit: int | None = None,
) -> list[T]:
    """The order in which the given waiting tickets would be called (each list FIFO)."""
    out: list[T] = []
    i = j = 0
    since = normals_since_priority
    while (i < len(normal) or j < len(priority)) and (limit is None or len(out) < limit):
        head_n = normal[i] if i < len(normal) else None
        head_p = priority[j] if j < len(priority) else None
        chosen = pick(head_n, head_p, policy, every_n, since)
        if chosen is None:  # cannot happen while either list has a head
            break
        if chosen is head_p and head_p is not None:
            j += 1
            since = 0
        else:
            i += 1
            since += 1
        out.append(chosen)
    return out


def people_ahead(
    normal_waiting: int,
    priority_waiting: int,
    is_priority: bool,
    policy: Policy,
    every_n: int,
    normals_since_priority: int = 0,
) -> int:
    """How many tickets will be called before a new ticket of the given class.

    Exact for the calling order of `call_order` (checked against it by brute force in
    the tests), given how many normal calls were made since the last priority call.
    """
    n, p, s = normal_waiting, priority_waiting, normals_since_priority
    if policy == "strict":
        return n + p if not is_priority else p
    gap = max(every_n - 1, 1)
    if not is_priority:
        return n + min(p, (n + min(s, gap)) // gap)
    return p + min(n, max(0, gap - s) + p * gap)
