"""The calling policy (server/queue/policy.py): pure functions, checked with hypothesis."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from server.queue.policy import Policy, call_order, people_ahead, pick


@dataclass(eq=False)
class Ticket:
    """A waiting ticket; compared by identity, as the engine's rows are."""

    label: str
    is_priority: bool


def queues(n: int, p: int) -> tuple[list[Ticket], list[Ticket]]:
    normal = [Ticket(f"N{i}", False) for i in range(n)]
    prio = [Ticket(f"P{i}", True) for i in range(p)]
    return normal, prio


counts = st.integers(min_value=0, max_value=25)
policies = st.sampled_from(["strict", "every_n"])
every_ns = st.integers(min_value=2, max_value=8)
sinces = st.integers(min_value=0, max_value=12)


def labels(order: list[Ticket]) -> list[str]:
    return [t.label for t in order]


# ---------------------------------------------------------------------- examples


def test_every_third_call_is_a_priority_one() -> None:
    normal, prio = queues(6, 2)
    order = call_order(normal, prio, "every_n", 3, 0)
    assert labels(order) == ["N0", "N1", "P0", "N2", "N3", "P1", "N4", "N5"]


def test_every_n_after_a_long_run_of_normal_calls_calls_priority_first() -> None:
    normal, prio = queues(3, 2)
    order = call_order(normal, prio, "every_n", 3, 7)
    assert labels(order) == ["P0", "N0", "N1", "P1", "N2"]


def test_strict_calls_every_priority_ticket_first() -> None:
    normal, prio = queues(2, 2)
    assert labels(call_order(normal, prio, "strict", 3, 0)) == ["P0", "P1", "N0", "N1"]


def test_pick_with_one_class_waiting() -> None:
    normal, prio = queues(1, 1)
    assert pick(None, None, "every_n", 3, 0) is None
    assert pick(normal[0], None, "strict", 3, 0) is normal[0]
    # No normal ticket waits: the priority ticket is called without waiting its turn.
    assert pick(None, prio[0], "every_n", 3, 0) is prio[0]


# ---------------------------------------------------------------------- properties


@given(counts, counts, policies, every_ns, sinces)
def test_every_ticket_appears_exactly_once(
    n: int, p: int, policy: Policy, every_n: int, since: int
) -> None:
    normal, prio = queues(n, p)
    order = call_order(normal, prio, policy, every_n, since)
    assert len(order) == n + p
    assert {id(t) for t in order} == {id(t) for t in normal + prio}


@given(counts, counts, policies, every_ns, sinces)
def test_each_class_is_called_first_in_first_out(
    n: int, p: int, policy: Policy, every_n: int, since: int
) -> None:
    normal, prio = queues(n, p)
    order = call_order(normal, prio, policy, every_n, since)
    assert [t for t in order if not t.is_priority] == normal
    assert [t for t in order if t.is_priority] == prio


@given(counts, counts, every_ns, sinces)
def test_strict_never_calls_a_normal_ticket_while_a_priority_one_waits(
    n: int, p: int, every_n: int, since: int
) -> None:
    normal, prio = queues(n, p)
    order = call_order(normal, prio, "strict", every_n, since)
    assert order == prio + normal


@given(counts, counts, every_ns, sinces)
def test_every_n_gives_priority_its_turn_and_never_starves_normal_tickets(
    n: int, p: int, every_n: int, since: int
) -> None:
    """While both classes wait: a priority call comes once N−1 normal calls were made
    since the last one (so never more than N−1 normal calls in a row), and never before
    (so never two priority calls in a row: normal tickets are not starved)."""
    normal, prio = queues(n, p)
    order = call_order(normal, prio, "every_n", every_n, since)
    normals_left, prios_left = n, p
    run = since
    for t in order:
        if normals_left and prios_left:
            if t.is_priority:
                assert run >= every_n - 1, labels(order)
            else:
                assert run < every_n - 1, labels(order)
        if t.is_priority:
            prios_left -= 1
            run = 0
        else:
            normals_left -= 1
            run += 1


@given(counts, counts, every_ns, sinces)
def test_every_n_never_calls_two_priority_tickets_in_a_row_while_normal_ones_wait(
    n: int, p: int, every_n: int, since: int
) -> None:
    normal, prio = queues(n, p)
    order = call_order(normal, prio, "every_n", every_n, since)
    for i in range(1, len(order)):
        normal_still_waiting = any(not t.is_priority for t in order[i:])
        if normal_still_waiting:
            assert not (order[i - 1].is_priority and order[i].is_priority), labels(order)


@given(counts, counts, policies, every_ns, sinces)
def test_pick_is_the_head_of_the_call_order(
    n: int, p: int, policy: Policy, every_n: int, since: int
) -> None:
    normal, prio = queues(n, p)
    order = call_order(normal, prio, policy, every_n, since)
    chosen = pick(normal[0] if normal else None, prio[0] if prio else None, policy, every_n, since)
    assert chosen is (order[0] if order else None)


@given(counts, counts, policies, every_ns, sinces, st.integers(min_value=0, max_value=8))
def test_a_limited_call_order_is_the_start_of_the_full_one(
    n: int, p: int, policy: Policy, every_n: int, since: int, limit: int
) -> None:
    normal, prio = queues(n, p)
    full = call_order(normal, prio, policy, every_n, since)
    assert call_order(normal, prio, policy, every_n, since, limit=limit) == full[:limit]


@given(counts, counts, st.booleans(), every_ns)
def test_people_ahead_under_strict_is_the_position_in_the_call_order(
    n: int, p: int, is_priority: bool, every_n: int
) -> None:
    normal, prio = queues(n, p)
    me = Ticket("me", is_priority)
    (prio if is_priority else normal).append(me)
    order = call_order(normal, prio, "strict", every_n, 0)
    assert people_ahead(n, p, is_priority, "strict", every_n) == order.index(me)
