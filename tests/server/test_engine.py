"""The ticket lifecycle through `QueueEngine` on a real database, with a test clock.

Tests that use ``office`` run on SQLite and PostgreSQL; those that use ``lite`` check
rules where the database makes no difference, on SQLite only (faster).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from protocol.numbers import format_number
from server.config import SiteConfig
from server.db.database import Database
from tests.server.engine_helpers import DAY0, T0, Clock, Office, numbers, refused
from tests.support.sites import make_site

PRIO = "nguoi_cao_tuoi"
EVERY_3 = {"policy": "every_n", "every_n": 3}


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


@pytest.fixture
def lite(site: SiteConfig, sqlite_db: Database) -> Office:
    return Office(site, sqlite_db)


def issue_all(o: Office, *specs: str) -> list[str]:
    """Issue one ticket per spec (``"tp"`` or ``"tp!"`` for priority), a minute apart."""
    out = []
    for spec in specs:
        service = spec.rstrip("!")
        out.append(o.issue(service, PRIO if spec.endswith("!") else None).number)
        o.clock.advance(minutes=1)
    return out


def call_all(o: Office, desk: str) -> list[str]:
    """Call and finish tickets at ``desk`` until nobody waits; the numbers called."""
    called = []
    while (t := o.call_next(desk)) is not None:
        called.append(t.number)
        o.clock.advance(minutes=1)
        o.act("done", desk)
        o.clock.advance(minutes=1)
    return called


# ---------------------------------------------------------------------- numbering


def test_numbers_count_per_service_with_the_service_prefix(office: Office) -> None:
    got = issue_all(office, "tp", "tp", "dd", "tp!", "ldtbxh", "dd")
    assert got == ["A001", "A002", "B001", "A003", "C001", "B002"]
    first = office.tickets()[0]
    assert (first.service, first.seq, first.day) == ("tp", 1, DAY0)


def test_issued_ticket_carries_what_the_kiosk_prints(office: Office) -> None:
    t = office.issue("tp", PRIO)
    assert t.number == "A001"
    assert t.service_name == "Tư pháp – Hộ tịch"
    assert t.priority == PRIO
    assert t.issued_at == T0
    assert t.day == DAY0
    assert (t.people_ahead, t.eta_minutes) == (0, 0)
    assert office.events(t.ticket_id) == ["issued"]
    assert office.changes.services == {"tp"}


def test_numbering_restarts_at_local_midnight_which_is_17h_utc(office: Office) -> None:
    clock = office.clock
    clock.set(datetime(2025, 3, 10, 16, 58, tzinfo=UTC))  # 23:58 in Hà Nội
    assert issue_all(office, "tp", "tp") == ["A001", "A002"]
    clock.set(datetime(2025, 3, 10, 17, 0, tzinfo=UTC))  # 00:00 on the 11th in Hà Nội
    t = office.issue("tp")
    assert (t.number, t.day) == ("A001", date(2025, 3, 11))
    clock.set(datetime(2025, 3, 10, 23, 59, tzinfo=UTC))
    assert office.issue("tp").number == "A002"
    # UTC midnight is 07:00 in Hà Nội: the same local day, the numbering goes on.
    clock.set(datetime(2025, 3, 11, 0, 1, tzinfo=UTC))
    t = office.issue("tp")
    assert (t.number, t.day) == ("A003", date(2025, 3, 11))


def test_a_ticket_issued_before_local_midnight_cannot_be_called_after_it(lite: Office) -> None:
    lite.clock.set(datetime(2025, 3, 10, 16, 50, tzinfo=UTC))
    lite.issue("tp")
    lite.open("q1")
    lite.clock.set(datetime(2025, 3, 10, 17, 5, tzinfo=UTC))
    assert lite.call_next("q1") is None
    assert lite.queue_state("tp").waiting == 0


def test_numbers_past_999_grow_to_four_digits() -> None:
    assert format_number("A", 7) == "A007"
    assert format_number("B", 999) == "B999"
    assert format_number("B", 1000) == "B1000"


def test_unknown_service_or_priority_is_refused_without_using_a_number(lite: Office) -> None:
    with refused("unknown_service"):
        lite.issue("khong-co")
    with refused("unknown_priority"):
        lite.issue("tp", "vip")
    assert lite.issue("tp").number == "A001"


# ---------------------------------------------------------------------- calling


def test_call_next_is_first_in_first_out(office: Office) -> None:
    issue_all(office, "tp", "tp", "tp")
    office.open("q1")
    assert call_all(office, "q1") == ["A001", "A002", "A003"]
    assert office.call_next("q1") is None


def test_a_desk_with_two_services_calls_both_by_issue_time(office: Office) -> None:
    issue_all(office, "ldtbxh", "tp", "ldtbxh", "tp")
    office.open("q2")  # Quầy 2 serves tp and ldtbxh
    assert call_all(office, "q2") == ["C001", "A001", "C002", "A002"]


def test_strict_priority_goes_before_earlier_normal_tickets(office: Office) -> None:
    issue_all(office, "tp", "tp", "tp!", "tp", "tp!")
    office.open("q1")
    assert call_all(office, "q1") == ["A003", "A005", "A001", "A002", "A004"]


def test_every_third_call_goes_to_a_priority_ticket(sqlite_db: Database) -> None:
    o = Office(make_site(calling=EVERY_3), sqlite_db)
    issue_all(o, *["tp"] * 6, "tp!", "tp!")
    assert o.queue_state("tp").next_numbers == ["A001", "A002", "A007", "A003", "A004"]
    o.open("q1")
    assert call_all(o, "q1") == ["A001", "A002", "A007", "A003", "A004", "A008", "A005", "A006"]


def test_every_n_calls_a_priority_ticket_at_once_when_no_normal_one_waits(
    sqlite_db: Database,
) -> None:
    o = Office(make_site(calling=EVERY_3), sqlite_db)
    issue_all(o, "tp!", "tp!")
    o.open("q1")
    assert call_all(o, "q1") == ["A001", "A002"]


def test_every_n_counts_calls_made_at_other_desks(sqlite_db: Database) -> None:
    """Two desks share the tp queue: the "one in three" rule is about the queue."""
    o = Office(make_site(calling=EVERY_3), sqlite_db)
    issue_all(o, "tp", "tp", "tp", "tp!")
    o.open("q1")
    o.open("q2")
    got = []
    for desk in ("q1", "q2", "q1"):
        t = o.call_next(desk)
        assert t is not None
        got.append(t.number)
        o.clock.advance(minutes=1)
        o.act("done", desk)
    assert got == ["A001", "A002", "A004"]


def test_recall_counts_and_calls_the_number_again_on_the_board(office: Office) -> None:
    issue_all(office, "tp")
    office.open("q1")
    t = office.call_next("q1")
    assert t is not None
    assert office.changes.calls == [t.id]
    office.clock.advance(minutes=2)
    again = office.act("recall", "q1")
    assert again.recall_count == 1
    assert office.changes.calls == [t.id]
    assert office.changes.desks == {"q1"}
    office.clock.advance(minutes=2)
    office.act("recall", "q1")
    row = office.ticket(t.id)
    assert row.recall_count == 2
    assert row.called_at == T0 + timedelta(minutes=5)  # the last call counts for waiting time
    assert row.first_called_at == T0 + timedelta(minutes=1)
    serving = office.desk_state("q1").serving
    assert serving is not None
    assert (serving.number, serving.recall_count) == ("A001", 2)
    assert office.events(t.id) == ["issued", "called", "recalled", "recalled"]


def test_a_citizen_at_the_desk_cannot_be_recalled(lite: Office) -> None:
    issue_all(lite, "tp")
    lite.open("q1")
    t = lite.call_next("q1")
    lite.act("start", "q1")
    with refused("bad_state"):
        lite.act("recall", "q1")
    row = lite.ticket(t.id)
    assert (row.state, row.recall_count) == ("serving", 0)
    assert lite.events(t.id) == ["issued", "called", "started"]
    with refused("bad_state"):
        lite.act("start", "q1")


def test_start_and_done_record_service_times_and_free_the_desk(office: Office) -> None:
    issue_all(office, "tp")
    office.open("q1")
    t = office.call_next("q1")
    assert t is not None
    office.clock.advance(minutes=1)
    office.act("start", "q1")
    assert office.desk_state("q1").serving.state == "serving"  # type: ignore[union-attr]
    office.clock.advance(minutes=7)
    office.act("done", "q1")
    row = office.ticket(t.id)
    assert row.state == "done"
    assert row.started_at == T0 + timedelta(minutes=2)
    assert row.ended_at == T0 + timedelta(minutes=9)
    assert office.changes.stats == {"q1"}
    state = office.desk_state("q1")
    assert state.serving is None
    assert state.awaiting_rating is not None and state.awaiting_rating.number == "A001"
    assert office.events(t.id) == ["issued", "called", "started", "done"]


def test_done_without_start_counts_service_from_the_call(lite: Office) -> None:
    issue_all(lite, "tp")
    lite.open("q1")
    t = lite.call_next("q1")
    assert t is not None
    lite.clock.advance(minutes=5)
    lite.act("done", "q1")
    row = lite.ticket(t.id)
    assert row.started_at == row.called_at == T0 + timedelta(minutes=1)
    assert row.ended_at == T0 + timedelta(minutes=6)
    assert lite.events(t.id) == ["issued", "called", "started", "done"]


def test_no_show_frees_the_desk_and_the_citizen_can_be_called_back(office: Office) -> None:
    issue_all(office, "tp", "tp")
    office.open("q1")
    first = office.call_next("q1")
    assert first is not None
    office.clock.advance(minutes=3)
    office.act("no_show", "q1")
    assert office.ticket(first.id).state == "no_show"
    assert office.desk_state("q1").serving is None
    assert office.call_next("q1").number == "A002"  # type: ignore[union-attr]
    office.act("done", "q1")
    office.clock.advance(minutes=3)
    back = office.act("call_number", "q1", "A001")  # the citizen came back
    assert back.id == first.id
    assert office.changes.calls == [first.id]
    office.serve("q1", minutes=4)
    row = office.ticket(first.id)
    assert row.state == "done"
    assert office.events(first.id) == ["issued", "called", "no_show", "called", "started", "done"]


def test_no_show_is_refused_once_service_has_started(lite: Office) -> None:
    issue_all(lite, "tp")
    lite.open("q1")
    t = lite.call_next("q1")
    lite.act("start", "q1")
    with refused("bad_state"):
        lite.act("no_show", "q1")
    assert lite.ticket(t.id).state == "serving"
    assert lite.desk_state("q1").serving.number == "A001"


def test_transfer_keeps_number_and_issue_time_and_goes_before_later_tickets(
    office: Office,
) -> None:
    issue_all(office, "tp", "ldtbxh", "ldtbxh")
    office.open("q1")
    t = office.call_next("q1")
    assert t is not None and t.number == "A001"
    office.clock.advance(minutes=5)
    new = office.act("transfer", "q1", "ldtbxh")
    assert office.changes.services == {"tp", "ldtbxh"}
    assert (new.number, new.service, new.issued_at, new.state) == ("A001", "ldtbxh", T0, "issued")
    assert new.transferred_from == t.id
    assert new.seq is None
    old = office.ticket(t.id)
    assert (old.state, old.ended_at) == ("transferred", T0 + timedelta(minutes=8))
    assert office.desk_state("q1").serving is None
    assert office.queue_state("ldtbxh").next_numbers == ["A001", "C001", "C002"]
    office.open("q5")
    assert call_all(office, "q5") == ["A001", "C001", "C002"]
    # The transfer used no number of either service.
    assert issue_all(office, "ldtbxh", "tp") == ["C003", "A002"]


def test_a_transferred_priority_ticket_stays_priority(lite: Office) -> None:
    issue_all(lite, "ldtbxh", "tp!")
    lite.open("q1")
    lite.call_next("q1")
    new = lite.act("transfer", "q1", "ldtbxh")
    assert new.priority == PRIO
    lite.open("q5")
    assert call_all(lite, "q5") == ["A001", "C001"]


def test_transfer_to_the_same_or_an_unknown_service_is_refused(lite: Office) -> None:
    issue_all(lite, "tp")
    lite.open("q1")
    lite.call_next("q1")
    with refused("same_service"):
        lite.act("transfer", "q1", "tp")
    with refused("unknown_service"):
        lite.act("transfer", "q1", "khong-co")
    assert lite.desk_state("q1").serving.number == "A001"  # type: ignore[union-attr]


def test_pause_needs_a_reason_and_blocks_calls_until_resume(office: Office) -> None:
    issue_all(office, "tp")
    office.open("q1")
    for bad in ("", "   \n ", "x" * 201):
        with refused("bad_reason"):
            office.act("pause", "q1", bad)
    office.act("pause", "q1", "  Họp   giao ban  ")
    state = office.desk_state("q1")
    assert (state.paused, state.pause_reason) == (True, "Họp giao ban")
    assert office.queue_state("tp").open_desks == 0
    with refused("desk_paused"):
        office.call_next("q1")
    with refused("desk_paused"):
        office.act("call_number", "q1", "A001")
    office.act("resume", "q1")
    assert office.desk_state("q1").paused is False
    assert office.call_next("q1").number == "A001"  # type: ignore[union-attr]
    with refused("desk_busy"):
        office.act("pause", "q1", "Nghỉ trưa")
    with refused("not_paused"):
        office.act("resume", "q1")


def test_call_a_specific_number(office: Office) -> None:
    issue_all(office, "tp", "tp", "tp", "dd")
    office.open("q1")
    t = office.act("call_number", "q1", " a003 ")
    assert t.number == "A003"
    assert office.changes.calls == [t.id]
    office.act("done", "q1")
    with refused("not_found"):
        office.act("call_number", "q1", "A003")  # already served
    with refused("not_found"):
        office.act("call_number", "q1", "A009")
    with refused("not_found"):
        office.act("call_number", "q1", "B001")  # Quầy 1 does not serve Đất đai
    office.open("q2")
    office.act("call_number", "q2", "A001")
    with refused("not_found"):
        office.act("call_number", "q1", "A001")  # already at Quầy 2
    assert call_all(office, "q1") == ["A002"]


def test_call_number_does_not_reach_yesterdays_tickets(lite: Office) -> None:
    lite.clock.set(T0 - timedelta(days=1))
    issue_all(lite, "tp")
    lite.clock.set(T0)
    lite.open("q1")
    with refused("not_found"):
        lite.act("call_number", "q1", "A001")
    assert lite.desk_state("q1").serving is None  # nobody was called to the desk


def test_desk_errors(lite: Office) -> None:
    issue_all(lite, "tp", "tp")
    with refused("desk_closed"):
        lite.call_next("q1")
    with refused("unknown_desk"):
        lite.call_next("q99")
    with refused("unknown_clerk"):
        lite.act("open_desk", "q1", "c99")
    lite.open("q1")
    for action in ("recall", "start", "done", "no_show"):
        with refused("no_ticket"):
            lite.act(action, "q1")
    first = lite.call_next("q1")
    assert first is not None
    with refused("desk_busy"):
        lite.call_next("q1")
    with refused("desk_busy"):
        lite.act("call_number", "q1", "A002")
    assert lite.tickets()[1].state == "issued"  # the refused call changed nothing
    with refused("desk_taken"):
        lite.act("open_desk", "q1", "c02")
    lite.act("open_desk", "q1", "c02", force=True)
    assert lite.desk_state("q1").clerk.name == "Trần Văn Hùng"  # type: ignore[union-attr]
    # one clerk, one desk: Hùng must close q1 before opening q2
    with refused("clerk_elsewhere"):
        lite.act("open_desk", "q2", "c02")
    assert not lite.desk_state("q2").open


def test_close_desk_refuses_while_a_ticket_is_in_hand(office: Office) -> None:
    issue_all(office, "tp")
    office.open("q1")
    office.call_next("q1")
    with refused("desk_busy"):
        office.act("close_desk", "q1")
    assert office.desk_state("q1").open
    office.act("done", "q1")
    office.act("close_desk", "q1")
    state = office.desk_state("q1")
    assert (state.open, state.clerk, state.serving) == (False, None, None)
    assert office.queue_state("tp").open_desks == 0
    with refused("desk_closed"):
        office.call_next("q1")


def test_close_previous_days_cancels_what_yesterday_left_open(office: Office) -> None:
    office.clock.set(T0 - timedelta(days=1))
    issue_all(office, "tp", "tp", "tp")
    office.open("q1")
    assert office.call_next("q1") is not None
    office.act("done", "q1")
    in_hand = office.call_next("q1")  # A002 stays at the desk overnight, A003 waits
    assert in_hand is not None
    office.clock.set(T0)
    today = office.issue("tp")
    assert today.number == "A001"
    assert office.queue_state("tp").waiting == 1
    with refused("desk_busy"):  # Quầy 1 still holds yesterday's A002
        office.call_next("q1")
    assert office.act("close_previous_days") == 2
    assert office.changes.desks == {"q1"}
    states = {(t.day, t.number): t.state for t in office.tickets()}
    yesterday = DAY0 - timedelta(days=1)
    assert states == {
        (yesterday, "A001"): "done",
        (yesterday, "A002"): "cancelled",
        (yesterday, "A003"): "cancelled",
        (DAY0, "A001"): "issued",
    }
    assert office.events(in_hand.id)[-1] == "cancelled"
    assert office.desk_state("q1").serving is None
    called = office.call_next("q1")
    assert called is not None and (called.day, called.number) == (DAY0, "A001")
    assert office.act("close_previous_days") == 0


# ---------------------------------------------------------------------- published state


def test_queue_state(office: Office) -> None:
    issue_all(office, "tp", "tp!", "tp", "tp!", "tp", "tp", "tp", "dd")
    office.clock.set(T0 + timedelta(minutes=10))
    q = office.queue_state("tp")
    assert (q.service, q.name) == ("tp", "Tư pháp – Hộ tịch")
    assert (q.waiting, q.waiting_priority, q.open_desks) == (7, 2, 0)
    assert q.next_numbers == ["A002", "A004", "A001", "A003", "A005"]
    assert q.longest_wait_s == 600.0
    # No desk open yet: the ETA assumes the desks that serve tp (2) will open.
    assert q.eta_minutes == 28  # 7 ahead ÷ 2 desks × 8 min
    office.open("q1")
    office.call_next("q1")
    q = office.queue_state("tp")
    assert (q.waiting, q.waiting_priority, q.open_desks) == (6, 1, 1)
    assert q.next_numbers == ["A004", "A001", "A003", "A005", "A006"]
    assert q.eta_minutes == 48  # 6 ahead ÷ 1 desk × 8 min
    empty = office.queue_state("xd")
    assert (empty.waiting, empty.next_numbers, empty.eta_minutes) == (0, [], 0)
    assert empty.longest_wait_s is None


def test_desk_state_shows_clerk_ticket_and_rating_until_the_window_ends(office: Office) -> None:
    closed = office.desk_state("q1")
    assert (closed.open, closed.clerk, closed.name) == (False, None, "Quầy 1")
    issue_all(office, "tp")
    office.open("q1")
    state = office.desk_state("q1")
    assert state.open and state.clerk is not None
    assert (state.clerk.id, state.clerk.name) == ("c01", "Nguyễn Thị Lan")
    assert state.services == ["tp"]
    office.call_next("q1")
    serving = office.desk_state("q1").serving
    assert serving is not None and (serving.number, serving.state) == ("A001", "called")
    done = office.serve("q1", minutes=5)
    awaiting = office.desk_state("q1").awaiting_rating
    assert awaiting is not None
    assert (awaiting.number, awaiting.clerk_id) == ("A001", "c01")
    assert awaiting.ticket_id == done.id
    assert awaiting.expires_at == done.ended_at + timedelta(minutes=15)
    office.clock.advance(minutes=14, seconds=59)
    assert office.desk_state("q1").awaiting_rating is not None
    office.clock.advance(seconds=1)
    assert office.desk_state("q1").awaiting_rating is None


# ---------------------------------------------------------------------- ETA


def test_eta_uses_the_default_service_time_until_three_services_are_known(
    office: Office,
) -> None:
    office.open("q1")
    for minutes in (4, 6):
        issue_all(office, "tp")
        office.call_next("q1")
        office.serve("q1", minutes=minutes)
    issue_all(office, "tp", "tp", "tp")
    t = office.issue("tp")
    assert (t.people_ahead, t.eta_minutes) == (3, 24)  # 3 ÷ 1 desk × 8 min (default)


def test_eta_is_people_ahead_over_open_desks_times_the_median_service_time(
    office: Office,
) -> None:
    office.open("q1")
    for minutes in (4, 11, 6):
        issue_all(office, "tp")
        office.call_next("q1")
        office.serve("q1", minutes=minutes)
    issue_all(office, "tp", "tp", "tp")
    t = office.issue("tp")
    assert (t.people_ahead, t.eta_minutes) == (3, 18)  # 3 ÷ 1 desk × median 6 min
    office.open("q2")
    assert office.queue_state("tp").eta_minutes == 12  # 4 ÷ 2 desks × 6 min
    office.act("pause", "q2", "Nghỉ trưa")
    assert office.queue_state("tp").eta_minutes == 24  # a paused desk does not count
    prio = office.issue("tp", PRIO)
    assert (prio.people_ahead, prio.eta_minutes) == (0, 0)
    again = office.issue("tp", PRIO)
    assert (again.people_ahead, again.eta_minutes) == (1, 6)


def test_eta_median_rolls_over_the_last_services(sqlite_db: Database) -> None:
    o = Office(make_site(calling={"median_window": 3}), sqlite_db)
    o.open("q1")
    for minutes in (30, 4, 11, 6):  # the 30-minute service falls out of the window
        issue_all(o, "tp")
        o.call_next("q1")
        o.serve("q1", minutes=minutes)
    t = o.issue("tp")
    o.clock.advance(minutes=1)
    assert o.issue("tp").eta_minutes == 6  # median(4, 11, 6); with the 30 it would be 9
    assert t.eta_minutes == 0


def test_people_ahead_on_a_ticket_matches_the_calls_under_strict(lite: Office) -> None:
    issue_all(lite, "tp", "tp!", "tp", "tp!")
    lite.open("q1")
    p = lite.issue("tp", PRIO)
    t = lite.issue("tp")
    order = call_all(lite, "q1")
    assert order.index(t.number) == t.people_ahead == 5
    assert order.index(p.number) == p.people_ahead == 2


@pytest.mark.parametrize(
    ("served_before", "waiting", "new_priority"),
    [
        # Two normal calls since the last priority one: the waiting priority ticket is
        # called next, ahead of the new normal ticket.
        (["tp", "tp"], ["tp!"], False),
        # A priority ticket was just called: the next two calls go to normal tickets.
        (["tp!"], ["tp", "tp!"], False),
        # Two normal calls since the last priority one: a new priority ticket is next.
        (["tp", "tp"], ["tp", "tp"], True),
        # One normal call since the last priority one.
        (["tp!", "tp"], ["tp", "tp!"], False),
    ],
    ids=["priority-due", "priority-just-called", "new-priority-due", "one-normal-since"],
)
def test_people_ahead_on_a_ticket_matches_the_calls_under_every_n(
    sqlite_db: Database, served_before: list[str], waiting: list[str], new_priority: bool
) -> None:
    """The ticket tells the citizen how many people will be called before them.

    Under every_n that depends on how many normal calls were made since the last
    priority one; `policy.people_ahead` is not given that count (the engine knows it:
    ``_normals_since_priority``), so the number printed can be off by one or two.
    """
    o = Office(make_site(calling=EVERY_3), sqlite_db)
    o.open("q1")
    for spec in served_before:  # one at a time, so the calls happen in this order
        issue_all(o, spec)
        call_all(o, "q1")
    issue_all(o, *waiting)
    t = o.issue("tp", PRIO if new_priority else None)
    o.clock.advance(minutes=1)
    order = call_all(o, "q1")
    assert t.people_ahead == order.index(t.number), order


def test_a_second_engine_sees_the_same_state(site: SiteConfig, migrated_db: Database) -> None:
    """Engines hold no state of their own: two server processes can share a database."""
    clock = Clock()
    a = Office(site, migrated_db, clock)
    b = Office(site, migrated_db, clock)
    issue_all(a, "tp", "tp")
    b.open("q1")
    assert numbers([b.call_next("q1")]) == ["A001"]
    b.act("done", "q1")
    assert numbers([a.call_next("q1")]) == ["A002"]
    assert b.issue("tp").number == "A003"
