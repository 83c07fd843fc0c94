"""Random days at the office (hypothesis): whatever clerks and kiosks do, the queue keeps
its promises — gap-free unique numbers, one desk per ticket, priority and FIFO at every
call, and everyone who waits is served exactly once.

One SQLite database per test, emptied between examples (the rules checked here do not
depend on the database; the numbering under concurrency is tested on both elsewhere).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from protocol.codes import EventKind, TicketState
from protocol.numbers import format_number
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import CounterRow, DeskRow, TicketEventRow, TicketRow
from server.queue.changes import Changes
from server.queue.errors import QueueError
from server.queue.states import IN_HAND
from tests.server.engine_helpers import Office, wipe
from tests.support.services import sqlite_url
from tests.support.sites import make_site

PRIO = "phu_nu_mang_thai"
#: Quầy 1: tp; Quầy 2: tp + ldtbxh; Quầy 3: dd; Quầy 5: ldtbxh — every service is covered.
DESKS = ["q1", "q2", "q3", "q5"]
SERVICES = ["tp", "ldtbxh", "dd"]

#: Refusals a clerk can legitimately get by pressing a button at the wrong moment.
EXPECTED_REFUSALS = {
    "desk_closed",
    "desk_busy",
    "no_ticket",
    "bad_state",
    "same_service",
    "not_found",
    "desk_paused",
    "not_paused",
}

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Button presses, weighted towards the common ones (issue, call, done).
KINDS = [
    *["issue"] * 5,
    *["visit"] * 4,
    *["call"] * 2,
    *["done"] * 2,
    "start",
    "no_show",
    "recall",
    "transfer",
    "call_back",
    "open",
    "close",
    "pause",
    "resume",
]
#: Actions on the ticket in hand; they mostly go to a desk that holds one.
IN_HAND_ACTIONS = {"done", "start", "no_show", "recall", "transfer"}
#: How a "visit" (a call followed by one more action at the desk) ends.
OUTCOMES = ["done", "start+done", "recall+done", "no_show", "transfer", "hold"]
Op = tuple[str, int, str, bool, str]  # (action, desk choice, service, priority, outcome)
operations = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(min_value=0, max_value=11),
        st.sampled_from(SERVICES),
        st.booleans(),
        st.sampled_from(OUTCOMES),
    ),
    min_size=10,
    max_size=50,
)
#: Desks that start the day closed (the others have a clerk logged in).
closed_at_start = st.sets(st.sampled_from(DESKS), max_size=2)


@pytest.fixture
def fast_db(tmp_path: Path) -> Iterator[Database]:
    """SQLite without fsync: the properties are about logic, and examples are many."""
    db = Database(sqlite_url(tmp_path), sqlite_synchronous="OFF")
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def strict_site() -> SiteConfig:
    return make_site()


@pytest.fixture(scope="module")
def every3_site() -> SiteConfig:
    return make_site(calling={"policy": "every_n", "every_n": 3})


def checked_call(o: Office, desk: str) -> Any:
    """``call_next`` at ``desk``, checking the choice against the queue it was made from
    (read in the same transaction)."""
    cfg = o.config
    services = cfg.desk_by_id[desk].services
    changes = Changes()
    with o.db.write() as s:
        waiting = [
            (t.id, t.priority is not None, t.issued_at)
            for t in s.scalars(
                select(TicketRow).where(
                    TicketRow.state == TicketState.ISSUED,
                    TicketRow.service.in_(services),
                    TicketRow.day == o.engine.today(),
                )
            )
        ]
        chosen = o.engine.call_next(s, desk, changes)
        if not waiting:
            assert chosen is None, "called a ticket nobody was waiting with"
            return None
        assert chosen is not None, "people wait but the open desk called nobody"
        assert chosen.id in {w[0] for w in waiting}, "called a ticket that was not waiting"
        is_prio = chosen.priority is not None
        if cfg.calling.policy == "strict" and any(p for _, p, _ in waiting):
            assert is_prio, "strict: a normal ticket was called while a priority one waits"
        oldest = min(at for _, p, at in waiting if p == is_prio)
        assert chosen.issued_at == oldest, "not first in, first out within its class"
        assert changes.calls == [chosen.id]
        return chosen


def pick_desk(o: Office, kind: str, choice: int) -> str:
    """Choices 0–3 name a desk; 4–11 pick among the desks where the action makes sense
    (holding a ticket, or open and free), so that random days get somewhere."""
    if choice < len(DESKS):
        return DESKS[choice]
    with o.db.read() as s:
        rows = list(s.scalars(select(DeskRow).order_by(DeskRow.desk_id)))
        waiting = set(
            s.scalars(select(TicketRow.service).where(TicketRow.state == TicketState.ISSUED))
        )
    if kind in IN_HAND_ACTIONS:
        fit = [d.desk_id for d in rows if d.ticket_id is not None]
    else:
        fit = [d.desk_id for d in rows if d.open and not d.paused and d.ticket_id is None]
        if kind in ("call", "visit"):  # prefer a desk with somebody to call
            fit = [d for d in fit if waiting & set(o.config.desk_by_id[d].services)] or fit
    return fit[choice % len(fit)] if fit else DESKS[choice % len(DESKS)]


def apply(o: Office, op: Op) -> None:
    """One clerk or kiosk action; a refusal must be one a clerk can legitimately get."""
    kind = op[0]
    desk = pick_desk(o, kind, op[1])
    try:
        label = act(o, op, desk)
    except QueueError as e:
        assert e.code in EXPECTED_REFUSALS, f"{op}: unexpected refusal {e}"
        event(f"{kind}: {e.code}")
    else:
        if label is not None:
            event(f"{label}: ok")
    finally:
        o.clock.advance(seconds=30)


def act(o: Office, op: Op, desk: str) -> str | None:
    """Run ``op`` at ``desk``: what to count it as, or ``None`` if there was nothing to
    do (counted already)."""
    kind, choice, service, prio, outcome = op
    simple: dict[str, Callable[[], Any]] = {
        "issue": lambda: o.issue(service, PRIO if prio else None),
        "open": lambda: o.open(desk),
        "close": lambda: o.act("close_desk", desk),
        "pause": lambda: o.act("pause", desk, "Nghỉ giải lao"),
        "call": lambda: checked_call(o, desk),
        "transfer": lambda: o.act("transfer", desk, service),
    }
    if kind in simple:
        simple[kind]()
    elif kind == "visit":
        return visit(o, desk, service, outcome)
    elif kind == "call_back":
        return call_back(o, desk, choice)
    else:
        o.act(kind, desk)
    return kind


def visit(o: Office, desk: str, service: str, outcome: str) -> str | None:
    """A call followed by the steps of ``outcome`` at the desk."""
    called = checked_call(o, desk)
    if called is None:
        event("visit: nobody waits")
        return None
    o.clock.advance(seconds=30)
    for step in outcome.split("+"):
        if step == "transfer":
            others = [x for x in SERVICES if x != called.service]
            o.act("transfer", desk, service if service in others else others[0])
        elif step != "hold":
            o.act(step, desk)
    return f"visit {outcome}"


def call_back(o: Office, desk: str, choice: int) -> str | None:
    """Call a no-show back by number (choices past the desks: at a desk serving them)."""
    gone = o.tickets(TicketRow.state == TicketState.NO_SHOW)
    if not gone:
        event("call_back: nobody to call back")
        return None
    back = gone[choice % len(gone)]
    if choice >= len(DESKS):  # a desk that serves the citizen's service
        desk = next((d.id for d in o.config.desks_serving(back.service)), desk)
    o.act("call_number", desk, back.number)
    return "call_back"


def check_invariants(o: Office) -> None:
    cfg = o.config
    t_ = TicketRow
    with o.db.read() as s:
        tickets = s.execute(
            select(t_.id, t_.service, t_.day, t_.seq, t_.number, t_.state, t_.desk_id)
        ).all()
        holders = dict(s.execute(select(DeskRow.desk_id, DeskRow.ticket_id)).all())
        counters = {
            (c.service, c.day): c.last_seq
            for c in s.execute(select(CounterRow.service, CounterRow.day, CounterRow.last_seq))
        }
        events = {
            (tid, kind): n
            for tid, kind, n in s.execute(
                select(TicketEventRow.ticket_id, TicketEventRow.kind, func.count()).group_by(
                    TicketEventRow.ticket_id, TicketEventRow.kind
                )
            )
        }

    # Numbers per (service, day): exactly 1..n, each printed as prefix + counter.
    seqs: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for t in tickets:
        if t.seq is not None:
            seqs[(t.service, t.day)].append(t.seq)
            assert t.number == format_number(cfg.service_by_code[t.service].prefix, t.seq)
    for key, got in seqs.items():
        assert sorted(got) == list(range(1, len(got) + 1)), f"{key}: {sorted(got)}"
        assert counters[key] == len(got)
    # A visit (day, number) is live in at most one service; transfers leave a trail.
    live = Counter((t.day, t.number) for t in tickets if t.state != TicketState.TRANSFERRED)
    assert all(n == 1 for n in live.values()), live
    # No ticket is in two desks' hands, and every ticket in hand is held by its desk.
    held = [tid for tid in holders.values() if tid is not None]
    assert len(held) == len(set(held)), holders
    by_id = {t.id: t for t in tickets}
    for desk_id, tid in holders.items():
        if tid is not None:
            assert by_id[tid].state in IN_HAND and by_id[tid].desk_id == desk_id
    in_hand = {t.id for t in tickets if t.state in IN_HAND}
    assert in_hand == set(held)
    # Called once per call: a ticket is called again only after a no-show.
    for t in tickets:
        called, gone = (
            events.get((t.id, EventKind.CALLED), 0),
            events.get((t.id, EventKind.NO_SHOW), 0),
        )
        assert called <= 1 + gone, (t.number, called, gone)


def drain(o: Office) -> None:
    """Every desk opens (or resumes), finishes what it holds, and calls until nobody
    waits."""
    for desk in DESKS:
        o.open(desk)
        row = o.desk_row(desk)
        if row.paused:
            o.act("resume", desk)
        if row.ticket_id is not None:
            o.act("done", desk)
    with o.db.read() as s:
        bound = int(s.scalar(select(func.count()).select_from(TicketRow)) or 0) + 1
    for _ in range(bound):
        progress = False
        for desk in DESKS:
            if checked_call(o, desk) is not None:
                o.clock.advance(seconds=30)
                o.act("done", desk)
                progress = True
        if not progress:
            return
    pytest.fail("the queue did not empty")


@PROPERTY_SETTINGS
@given(closed=closed_at_start, ops=operations)
def test_any_sequence_of_actions_keeps_the_queue_invariants(
    strict_site: SiteConfig, fast_db: Database, closed: set[str], ops: list[Op]
) -> None:
    wipe(fast_db)
    o = Office(strict_site, fast_db)
    for desk in DESKS:
        if desk not in closed:
            o.open(desk)
    for op in ops:
        apply(o, op)
        check_invariants(o)
    drain(o)
    check_invariants(o)
    tickets = o.tickets()
    states = Counter(t.state for t in tickets)
    assert set(states) <= {"done", "no_show", "transferred"}, states
    with o.db.read() as s:
        done_events = Counter(
            s.scalars(select(TicketEventRow.ticket_id).where(TicketEventRow.kind == "done"))
        )
    # Everyone who waited was served, exactly once.
    for t in tickets:
        assert done_events[t.id] == (1 if t.state == "done" else 0), t.number


every_n_ops = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.booleans()),
        st.tuples(st.just("call")),
    ),
    max_size=40,
)


@settings(PROPERTY_SETTINGS, max_examples=30)
@given(ops=every_n_ops)
def test_every_n_at_one_desk_interleaves_priority_and_the_board_shows_the_next_call(
    every3_site: SiteConfig, fast_db: Database, ops: list[tuple[Any, ...]]
) -> None:
    """One desk (Quầy 1, tp only), every third call to priority: while both classes
    wait, a priority call comes exactly after two normal ones; and the first of the
    "next numbers" on the board is the number the desk calls next."""
    wipe(fast_db)
    o = Office(every3_site, fast_db)
    o.open("q1")
    since = 0
    for i, op in enumerate([*ops, *[("call",)] * 41]):  # then call until nobody waits
        draining = i >= len(ops)
        if op[0] == "issue":
            o.issue("tp", PRIO if op[1] else None)
            o.clock.advance(seconds=30)
            continue
        q = o.queue_state("tp")
        normal_waiting = q.waiting - q.waiting_priority
        t = checked_call(o, "q1")
        if t is None:
            assert q.next_numbers == []
            if draining:
                break
            continue
        assert q.next_numbers[0] == t.number
        is_prio = t.priority is not None
        if normal_waiting and q.waiting_priority:
            assert is_prio == (since >= 2), (t.number, since)
        since = 0 if is_prio else since + 1
        o.clock.advance(seconds=30)
        o.act("done", "q1")
        o.clock.advance(seconds=30)
    assert o.queue_state("tp").waiting == 0
