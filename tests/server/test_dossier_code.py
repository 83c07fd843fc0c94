"""The dossier code (mã hồ sơ) of a visit: typed or scanned at "done" or just
after, validated, stored on the ticket and in its events, reached from its rating.

Engine tests on a test clock (SQLite and PostgreSQL for the main flow); the API's
refusals are in ``test_letters_api.py``."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from protocol.text import TextRefused, check_dossier_code
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import RatingRow, TicketEventRow, TicketRow
from tests.server.engine_helpers import Office, desk_rating, refused

CODE = "000.00.25.H23-261105-0012"


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    o = Office(site, migrated_db)
    o.open("q1")
    return o


@pytest.fixture
def lite(site: SiteConfig, sqlite_db: Database) -> Office:
    o = Office(site, sqlite_db)
    o.open("q1")
    return o


def _serving(o: Office, desk: str = "q1") -> TicketRow:
    o.issue("tp")
    t = o.call_next(desk)
    assert t is not None
    o.act("start", desk)
    o.clock.advance(minutes=5)
    return t


def _event_data(o: Office, ticket_id: uuid.UUID, kind: str) -> list[dict[str, object] | None]:
    with o.db.read() as s:
        return list(
            s.scalars(
                select(TicketEventRow.data)
                .where(TicketEventRow.ticket_id == ticket_id, TicketEventRow.kind == kind)
                .order_by(TicketEventRow.id)
            )
        )


# ---------------------------------------------------------------------- the code itself


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (CODE, CODE),
        ("  H23.41-261105-0012\r\n", "H23.41-261105-0012"),  # a scanner's CR LF is dropped
        ("\t000.00.25/H23_7 ", "000.00.25/H23_7"),
        ("A", "A"),
        ("9" * 40, "9" * 40),
    ],
)
def test_a_dossier_code_is_kept_as_typed_without_surrounding_blanks(typed: str, kept: str) -> None:
    assert check_dossier_code(typed) == kept


@pytest.mark.parametrize(
    ("typed", "says", "says_en"),
    [
        ("", "để trống", "empty"),
        ("   ", "để trống", "empty"),
        ("000.00\x1b[2J.25", "ký tự điều khiển", "control characters"),
        ("000\x00001", "ký tự điều khiển", "control characters"),
        ("H23\u200b-0012", "ký tự điều khiển", "control characters"),  # zero-width space
        ("9" * 41, "dài quá 40 ký tự", "longer than 40"),
        ("000 00 25", "dấu cách", "a space"),
        ("HS<script>", "“<”", "'<'"),
        ("hồ-sơ-12", "“ồ”", "'ồ'"),
    ],
)
def test_a_bad_dossier_code_is_refused_in_vietnamese_and_english(
    typed: str, says: str, says_en: str
) -> None:
    with pytest.raises(TextRefused) as e:
        check_dossier_code(typed)
    assert e.value.message.startswith("Mã hồ sơ") and says in e.value.message
    assert "dossier code" in e.value.message_en and says_en in e.value.message_en


# ---------------------------------------------------------------------- at "done"


def test_done_with_a_dossier_code_stores_it_on_the_visit_and_its_rating_reaches_it(
    office: Office,
) -> None:
    t = _serving(office)
    office.clock.advance(minutes=6)
    done = office.act("done", "q1", dossier_code=f" {CODE}\r")
    assert done.dossier_code == CODE
    assert office.ticket(t.id).dossier_code == CODE
    assert _event_data(office, t.id, "done") == [{"dossier_code": CODE}]
    office.rate(desk_rating(t.id, "very_satisfied", office.clock()), "q1")
    with office.db.read() as s:
        code = s.scalar(
            select(TicketRow.dossier_code)
            .join(RatingRow, RatingRow.ticket_id == TicketRow.id)
            .where(RatingRow.ticket_id == t.id)
        )
    assert code == CODE


def test_done_without_a_code_stores_none(lite: Office) -> None:
    t = _serving(lite)
    lite.act("done", "q1")
    assert lite.ticket(t.id).dossier_code is None
    assert _event_data(lite, t.id, "done") == [None]


def test_a_bad_code_at_done_changes_nothing(lite: Office) -> None:
    t = _serving(lite)
    for bad in ("A\x07B", "x" * 41, "mã hồ sơ"):
        with refused("bad_dossier_code"):
            lite.act("done", "q1", dossier_code=bad)
    assert lite.ticket(t.id).state == "serving", "still in hand: the clerk can try again"
    assert lite.ticket(t.id).dossier_code is None
    assert lite.events(t.id) == ["issued", "called", "started"]
    assert lite.desk_state("q1").serving is not None


# ---------------------------------------------------------------------- just after


def test_the_code_can_be_added_and_corrected_just_after_done(office: Office) -> None:
    t = _serving(office)
    office.act("done", "q1")
    office.clock.advance(minutes=1)
    assert office.act("set_dossier_code", "q1", "H23-0012", ticket_id=t.id).id == t.id
    office.act("set_dossier_code", "q1", CODE)  # a typo corrected
    office.act("set_dossier_code", "q1", CODE)  # the same again: nothing new recorded
    assert office.ticket(t.id).dossier_code == CODE
    assert _event_data(office, t.id, "dossier") == [
        {"dossier_code": "H23-0012", "was": None},
        {"dossier_code": CODE, "was": "H23-0012"},
    ]
    with office.db.read() as s:
        last, can_attach = office.engine.last_visit(s, "q1")
    assert last is not None and last.id == t.id and can_attach


def test_the_code_goes_to_the_visit_finished_last_and_only_while_it_is_recent(
    lite: Office,
) -> None:
    first = _serving(lite)
    lite.act("done", "q1")
    # the next citizen is called before the clerk scans the first one's slip
    second = _serving(lite)
    lite.act("set_dossier_code", "q1", "HS-1")
    assert lite.ticket(first.id).dossier_code == "HS-1"
    lite.act("done", "q1")
    with refused("visit_changed"):  # the console still showed the first visit
        lite.act("set_dossier_code", "q1", "HS-2", ticket_id=first.id)
    lite.act("set_dossier_code", "q1", "HS-2", ticket_id=second.id)
    assert lite.ticket(first.id).dossier_code == "HS-1"
    # rated: no longer awaiting its rating, but within the rating window
    lite.rate(desk_rating(second.id, "satisfied", lite.clock()), "q1")
    lite.clock.advance(minutes=lite.config.rating.window_minutes - 1)
    lite.act("set_dossier_code", "q1", "HS-2b")
    lite.clock.advance(minutes=2)
    with refused("no_recent_visit"):
        lite.act("set_dossier_code", "q1", "HS-2c")
    assert lite.ticket(second.id).dossier_code == "HS-2b"
    with refused("no_recent_visit"):  # desk 2 has finished nobody
        lite.act("set_dossier_code", "q2", "HS-3")
    with refused("bad_dossier_code"):
        lite.act("set_dossier_code", "q1", "HS 3")


def test_an_unrated_visit_keeps_its_code_open_until_the_next_one(lite: Office) -> None:
    t = _serving(lite)
    lite.act("done", "q1")
    lite.clock.advance(hours=2)  # nobody rated it; it still awaits its rating at the desk
    lite.act("set_dossier_code", "q1", CODE)
    assert lite.ticket(t.id).dossier_code == CODE
