"""Which ratings count (server/ratings/rules.py `apply_rating`): only a ticket finished at that
desk, within the window, once; levels on the site's scale, mapped to the official three."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from protocol.messages import VisitRating
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow, TicketRow
from server.ratings.rules import RatingRefused
from tests.server.engine_helpers import DAY0, T0, Office, desk_rating
from tests.support.sites import make_site


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


@pytest.fixture
def lite(site: SiteConfig, sqlite_db: Database) -> Office:
    return Office(site, sqlite_db)


def finished(o: Office, desk: str = "q1", service: str = "tp") -> TicketRow:
    """A visit called to ``desk`` and finished after 5 minutes; the clock is at its end."""
    o.issue(service)
    o.open(desk)
    o.clock.advance(minutes=1)
    t = o.call_next(desk)
    assert t is not None
    return o.serve(desk, minutes=5)


@contextmanager
def refused(code: str) -> Iterator[None]:
    with pytest.raises(RatingRefused) as exc:
        yield
    assert exc.value.code == code, exc.value


def stored(o: Office) -> int:
    with o.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(RatingRow)) or 0)


def kiosk_rating(at: datetime, level: str = "satisfied", **kwargs: object) -> VisitRating:
    """ "Rate a visit" at a kiosk: by ``number`` (and ``day``) or by ``ticket_id`` (QR)."""
    return VisitRating(device_id="kiosk-1", sent_at=at, level=level, **kwargs)  # type: ignore[arg-type]


def test_a_rating_at_the_desk_is_stored_and_clears_the_pad(office: Office) -> None:
    t = finished(office)
    assert office.desk_state("q1").awaiting_rating is not None
    sent = office.clock.advance(seconds=20)
    received = office.clock.advance(seconds=1)
    row = office.rate(
        desk_rating(t.id, "very_satisfied", sent, praised=["xin_chao", "luon_lang_nghe"]), "q1"
    )
    assert (row.ticket_id, row.desk_id, row.clerk_id, row.service) == (t.id, "q1", "c01", "tp")
    assert (row.day, row.level, row.level_raw, row.source) == (
        DAY0,
        "very_satisfied",
        "very_satisfied",
        "pad",
    )
    assert row.praised == ["xin_chao", "luon_lang_nghe"] and row.reasons == []
    assert (row.sent_at, row.received_at) == (sent, received)
    assert stored(office) == 1
    assert office.desk_state("q1").awaiting_rating is None
    desk = office.desk_row("q1")
    assert desk.rating_ticket_id is None and desk.updated_at == received


def test_unknown_ticket(lite: Office) -> None:
    t = finished(lite)
    with refused("unknown_ticket"):
        lite.rate(desk_rating(uuid.uuid4(), "satisfied", lite.clock()), "q1")
    assert stored(lite) == 0
    # The real visit is still waiting for its rating on the pad.
    assert lite.desk_state("q1").awaiting_rating.ticket_id == t.id


def test_only_a_finished_visit_can_be_rated(lite: Office) -> None:
    waiting = lite.issue("tp")
    with refused("ticket_not_done"):
        lite.rate(desk_rating(waiting.ticket_id, "satisfied", lite.clock()), "q1")
    lite.open("q1")
    in_hand = lite.call_next("q1")
    assert in_hand is not None
    with refused("ticket_not_done"):
        lite.rate(desk_rating(in_hand.id, "satisfied", lite.clock()), "q1")
    lite.act("no_show", "q1")
    with refused("ticket_not_done"):
        lite.rate(desk_rating(in_hand.id, "dissatisfied", lite.clock()), "q1")
    assert stored(lite) == 0


def test_a_pad_cannot_rate_another_desks_visit(lite: Office) -> None:
    t = finished(lite, "q1")
    with refused("wrong_desk"):
        lite.rate(desk_rating(t.id, "dissatisfied", lite.clock(), pad="pad-q2"), "q2")
    assert lite.desk_state("q1").awaiting_rating is not None  # still waiting for its rating


def test_the_rating_window_ends_15_minutes_after_the_service(lite: Office) -> None:
    t = finished(lite)
    assert t.ended_at is not None
    late = t.ended_at + timedelta(minutes=15, seconds=1)
    with refused("window_expired"):
        lite.rate(desk_rating(t.id, "satisfied", late), "q1", received_at=late)
    last = t.ended_at + timedelta(minutes=15)
    row = lite.rate(desk_rating(t.id, "satisfied", last), "q1", received_at=last)
    assert row.level == "satisfied"


def test_a_rating_sent_before_the_service_ended_is_refused_beyond_clock_skew(
    lite: Office,
) -> None:
    t = finished(lite)
    assert t.ended_at is not None
    with refused("before_done"):
        lite.rate(
            desk_rating(t.id, "satisfied", t.ended_at - timedelta(minutes=2, seconds=1)), "q1"
        )
    # A pad clock up to 2 minutes slow is tolerated.
    lite.rate(desk_rating(t.id, "satisfied", t.ended_at - timedelta(minutes=2)), "q1")
    assert stored(lite) == 1


def test_a_rating_sent_from_the_future_is_refused(lite: Office) -> None:
    t = finished(lite)
    assert t.ended_at is not None
    received = t.ended_at + timedelta(minutes=1)
    future = received + timedelta(minutes=2, seconds=1)
    with refused("sent_in_future"):
        lite.rate(desk_rating(t.id, "satisfied", future), "q1", received_at=received)
    ahead = received + timedelta(minutes=2)
    lite.rate(desk_rating(t.id, "satisfied", ahead), "q1", received_at=received)
    assert stored(lite) == 1


def test_a_visit_is_rated_once(office: Office) -> None:
    t = finished(office)
    office.rate(desk_rating(t.id, "very_satisfied", office.clock()), "q1")
    with refused("already_rated"):
        office.rate(
            desk_rating(t.id, "dissatisfied", office.clock(), reasons=["khong_tre_hen"]), "q1"
        )
    with refused("already_rated"):  # not at the kiosk either
        office.rate(kiosk_rating(office.clock(), number="A001"), None)
    with office.db.read() as s:
        assert list(s.scalars(select(RatingRow.level))) == ["very_satisfied"]


@pytest.mark.parametrize(
    ("scale", "level"),
    [(3, "neutral"), (3, "very_dissatisfied"), (4, "neutral")],
)
def test_a_level_that_is_not_on_the_sites_scale_is_refused(
    sqlite_db: Database, scale: int, level: str
) -> None:
    o = Office(make_site(rating={"scale": scale}), sqlite_db)
    t = finished(o)
    with refused("bad_level"):
        o.rate(desk_rating(t.id, level, o.clock()), "q1")
    assert o.desk_state("q1").awaiting_rating is not None


@pytest.mark.parametrize(
    ("scale", "raw", "official"),
    [
        (4, "very_dissatisfied", "dissatisfied"),
        (4, "satisfied", "satisfied"),
        (5, "neutral", "dissatisfied"),
        (5, "very_satisfied", "very_satisfied"),
    ],
)
def test_4_and_5_level_pads_map_onto_the_official_three_levels(
    sqlite_db: Database, scale: int, raw: str, official: str
) -> None:
    o = Office(make_site(rating={"scale": scale}), sqlite_db)
    t = finished(o)
    row = o.rate(desk_rating(t.id, raw, o.clock()), "q1")
    assert (row.level_raw, row.level) == (raw, official)


def test_rate_a_visit_at_the_kiosk_by_ticket_number_and_day(office: Office) -> None:
    office.clock.set(T0 - timedelta(days=1))
    finished(office)  # yesterday's A001, also at Quầy 1
    office.clock.set(T0)
    today = finished(office)  # today's A001
    row = office.rate(kiosk_rating(office.clock(), number="A001", day=DAY0), None)
    assert (row.ticket_id, row.desk_id, row.clerk_id, row.source) == (
        today.id,
        "q1",
        "c01",
        "kiosk",
    )
    assert office.desk_state("q1").awaiting_rating is None  # as when rated at the pad
    # Without a day, the number is looked up on the local day the rating was sent.
    with refused("already_rated"):
        office.rate(kiosk_rating(office.clock(), number="A001"), None)
    with refused("unknown_ticket"):
        office.rate(kiosk_rating(office.clock(), number="A009"), None)
    # With yesterday's date it finds yesterday's A001, whose window has long passed.
    with refused("window_expired"):
        office.rate(kiosk_rating(office.clock(), number="A001", day=DAY0 - timedelta(days=1)), None)
    assert stored(office) == 1


def test_rate_a_transferred_visit_at_the_kiosk(lite: Office) -> None:
    lite.issue("tp")
    lite.open("q1")
    lite.call_next("q1")
    lite.clock.advance(minutes=3)
    lite.act("transfer", "q1", "ldtbxh")
    lite.open("q5")
    lite.call_next("q5")
    done = lite.serve("q5", minutes=6)
    row = lite.rate(kiosk_rating(lite.clock(), number="A001"), None)
    assert (row.ticket_id, row.desk_id, row.service) == (done.id, "q5", "ldtbxh")


def test_rate_a_visit_at_the_kiosk_by_its_qr_code(lite: Office) -> None:
    t = finished(lite)
    row = lite.rate(kiosk_rating(lite.clock(), ticket_id=t.id), None)
    assert (row.ticket_id, row.desk_id, row.source) == (t.id, "q1", "kiosk")


def test_rating_an_earlier_visit_keeps_the_pad_waiting_for_the_latest(lite: Office) -> None:
    first = finished(lite)
    second = finished(lite)
    lite.rate(desk_rating(first.id, "satisfied", lite.clock()), "q1")
    awaiting = lite.desk_state("q1").awaiting_rating
    assert awaiting is not None and awaiting.ticket_id == second.id
