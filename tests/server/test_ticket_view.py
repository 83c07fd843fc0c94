"""The phone's view of a ticket (`server.readmodels.ticket_view`): every state, people
ahead under both calling policies (checked against the calls the desks then make),
the transfer chain and the rating status."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest

from protocol.codes import RatingSource
from server.config import SiteConfig
from server.db.database import Database
from server.readmodels.ticket_view import TicketView, ticket_views
from server.voice.words import call_text
from tests.server.engine_helpers import Office, desk_rating
from tests.support.sites import make_site

PRIO = "nguoi_cao_tuoi"


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


def views(o: Office, *ids: uuid.UUID) -> dict[uuid.UUID, TicketView]:
    with o.db.read() as s:
        return ticket_views(s, o.config, list(ids), o.clock())


def view(o: Office, ticket_id: uuid.UUID) -> TicketView:
    return views(o, ticket_id)[ticket_id]


def test_a_ticket_through_its_states(office: Office) -> None:
    o = office
    first = o.issue("tp").ticket_id
    t = o.issue("tp").ticket_id
    v = view(o, t)
    assert (v.state, v.number, v.service, v.people_ahead) == ("waiting", "A002", "tp", 1)
    assert v.service_name == "Tư pháp – Hộ tịch" and v.service_name_en == "Justice – Civil status"
    # one ahead; no desk open, so the two desks serving tp count; 8 min by default
    assert v.eta_minutes == 4
    assert v.desk_id is None and v.call_text is None and v.rating.status == "not_yet"
    o.open("q1")
    assert o.call_next("q1").id == first
    assert view(o, t).people_ahead == 0 and view(o, t).eta_minutes == 0
    o.serve("q1", 5)
    called = o.call_next("q1")
    assert called.id == t
    v = view(o, t)
    assert (v.state, v.desk_id, v.desk_number, v.desk_name) == ("called", "q1", 1, "Quầy 1")
    assert v.people_ahead is None and v.called_at == o.clock()
    assert v.call_text == call_text("A002", 1)
    o.clock.advance(seconds=30)
    o.act("recall", "q1")
    assert view(o, t).recall_count == 1 and view(o, t).called_at == o.clock()
    o.act("start", "q1")
    assert view(o, t).state == "serving" and view(o, t).call_text is None
    o.clock.advance(minutes=4)
    ended = o.act("done", "q1").ended_at
    v = view(o, t)
    assert v.state == "done" and v.desk_number == 1
    window = timedelta(minutes=o.config.rating.window_minutes)
    assert (v.rating.status, v.rating.until) == ("open", ended + window)
    o.clock.advance(minutes=o.config.rating.window_minutes, seconds=1)
    assert view(o, t).rating.status == "expired"


def test_a_rated_ticket_says_by_what(office: Office) -> None:
    o = office
    t = o.issue("tp").ticket_id
    o.open("q1")
    o.call_next("q1")
    o.serve("q1", 3)
    o.rate(desk_rating(t, "satisfied", o.clock()), "q1")
    rating = view(o, t).rating
    assert (rating.status, rating.source) == ("rated", RatingSource.PAD)


def test_no_show_cancelled_and_unknown(office: Office) -> None:
    o = office
    gone = o.issue("tp").ticket_id
    old = o.issue("dd").ticket_id
    o.open("q1")
    o.call_next("q1")
    o.act("no_show", "q1")
    v = view(o, gone)
    assert (v.state, v.rating.status) == ("no_show", "none")
    o.clock.advance(days=1)
    o.act("close_previous_days")
    assert (view(o, old).state, view(o, old).rating.status) == ("cancelled", "none")
    unknown = uuid.uuid4()
    v = view(o, unknown)
    assert (v.ticket_id, v.state, v.number, v.current_id) == (unknown, "pending", None, None)


def test_a_transfer_is_followed_to_the_row_where_the_visit_is(office: Office) -> None:
    o = office
    t = o.issue("tp").ticket_id
    o.clock.advance(minutes=1)
    o.issue("dd")  # already waiting in the other queue: the transferred visit is older
    o.open("q1")
    o.call_next("q1")
    o.act("start", "q1")
    new = o.act("transfer", "q1", "dd")
    v = view(o, t)
    assert (v.ticket_id, v.current_id, v.state) == (t, new.id, "waiting")
    assert (v.service, v.number, v.transferred_from_service) == ("dd", "A001", "tp")
    assert v.service_name == "Đất đai" and v.transferred_from_name == "Tư pháp – Hộ tịch"
    assert v.people_ahead == 0, "it keeps its original issue time: first in the other queue"
    o.open("q3", "c03")
    o.call_next("q3")
    o.serve("q3", 2)
    v = view(o, t)
    assert (v.state, v.desk_number, v.rating.status) == ("done", 3, "open")
    o.rate(desk_rating(new.id, "very_satisfied", o.clock(), pad="pad-q3"), "q3")
    assert view(o, t).rating.status == "rated", "rated on the last row of the chain"


@pytest.mark.parametrize("calling", [{"policy": "strict"}, {"policy": "every_n", "every_n": 3}])
def test_people_ahead_is_the_place_in_the_calling_order(
    sqlite_db: Database, calling: dict[str, object]
) -> None:
    o = Office(make_site(calling=calling), sqlite_db)
    rnd = random.Random(14)
    o.open("q1")
    for _ in range(3):  # some calls first: every_n counts normal calls since a priority
        o.issue("tp", PRIO if rnd.random() < 0.3 else None)
        o.clock.advance(minutes=1)
        o.call_next("q1")
        o.act("done", "q1")
        o.clock.advance(minutes=1)
    ids = []
    for _ in range(12):
        ids.append(o.issue("tp", PRIO if rnd.random() < 0.35 else None).ticket_id)
        o.clock.advance(seconds=20)
    ahead = {tid: v.people_ahead for tid, v in views(o, *ids).items()}
    called = []
    while (t := o.call_next("q1")) is not None:
        called.append(t.id)
        o.act("done", "q1")
        o.clock.advance(minutes=1)  # every_n tells calls apart by their time
    assert called and sorted(called) == sorted(ids)
    assert ahead == {tid: called.index(tid) for tid in ids}
    assert called != ids, "priority tickets jumped the queue: not plain FIFO"


def test_many_tickets_in_one_batch_with_duplicates_and_unknowns(office: Office) -> None:
    o = office
    ids = [o.issue(svc).ticket_id for svc in ("tp", "dd", "tp", "xd", "dd")]
    unknown = uuid.uuid4()
    out = views(o, *ids, unknown, ids[0])
    assert set(out) == {*ids, unknown}
    assert [out[t].people_ahead for t in ids] == [0, 0, 1, 0, 1]
    assert out[unknown].state == "pending"
