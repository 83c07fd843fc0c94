"""The supervisor dashboard's alerts (server/alerts.py) against real databases, with
every timestamp set by the test clock. The example site: alert when at least 4 ratings
of one desk in 15 minutes are ≥ 50 % dissatisfied; tp waits 15 minutes at most, dd 20."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import DeviceRow, RatingRow
from server.readmodels.alerts import Alert, current_alerts
from tests.server.engine_helpers import T0, Office, desk_rating
from tests.support.sites import make_site


@pytest.fixture
def office(site: SiteConfig, migrated_db: Database) -> Office:
    return Office(site, migrated_db)


def alerts(o: Office, now: datetime | None = None) -> list[Alert]:
    with o.db.read() as s:
        return current_alerts(s, o.config, o.engine, now)


def of_kind(found: list[Alert], kind: str) -> list[Alert]:
    return [a for a in found if a.kind == kind]


def visit(o: Office, desk: str, level: str, **rating: Any) -> RatingRow:
    """One citizen served at ``desk`` (1 minute) who then rates the visit on its pad."""
    o.issue(o.config.desk_by_id[desk].services[0])
    o.call_next(desk)
    done = o.serve(desk, minutes=1)
    return o.rate(desk_rating(done.id, level, o.clock(), pad=f"pad-{desk}", **rating), desk)


def seen(o: Office, device: str, status: str, since: datetime, printer: str | None = None) -> None:
    """Store a device's last status (and health) as the gateway does on its messages."""
    with o.db.write() as s:
        s.add(
            DeviceRow(
                site=o.config.site.code,
                device_id=device,
                status=status,
                boot_id="5f0c6c1e-3c53-4f0e-9a57-1c2a3b4c5d6e",
                status_since=since,
                last_seen=since,
                health=None if printer is None else {"app_version": "1.0", "printer": printer},
                health_at=None if printer is None else since,
            )
        )


# ------------------------------------------------------------------ satisfaction


def test_three_unhappy_of_four_at_a_desk_is_a_critical_alert(office: Office) -> None:
    o = office
    o.open("q3")
    happy = visit(o, "q3", "satisfied")
    first_unhappy = visit(o, "q3", "dissatisfied", reasons=["khong_tre_hen"])
    visit(o, "q3", "dissatisfied")
    # An answer the pad sent on its own after the idle timeout still has a level.
    visit(o, "q3", "dissatisfied", partial=True)
    assert happy.received_at < first_unhappy.received_at

    [alert] = alerts(o)
    assert alert.kind == "satisfaction_drop" and alert.severity == "critical"
    assert alert.key == "satisfaction_drop:q3" and alert.desk_id == "q3"
    assert alert.message == "Quầy 3: 3/4 đánh giá không hài lòng trong 15 phút qua"
    assert alert.message_en == "Desk 3: 3/4 ratings dissatisfied in the last 15 minutes"
    assert alert.since == first_unhappy.received_at


def test_exactly_half_unhappy_is_enough_one_in_four_is_not(office: Office) -> None:
    o = office
    o.open("q1")
    o.open("q3")
    for level in ("satisfied", "dissatisfied", "very_satisfied", "dissatisfied"):
        visit(o, "q1", level)
    for level in ("satisfied", "very_satisfied", "dissatisfied", "satisfied"):
        visit(o, "q3", level)
    found = alerts(o)
    assert [a.key for a in found] == ["satisfaction_drop:q1"]
    assert found[0].message.startswith("Quầy 1: 2/4 ")


def test_three_unhappy_ratings_are_too_few_to_alert(office: Office) -> None:
    o = office
    o.open("q3")
    for _ in range(3):
        visit(o, "q3", "dissatisfied")
    assert alerts(o) == []
    visit(o, "q3", "very_satisfied")  # the fourth rating, even a happy one, completes the sample
    assert [a.message for a in alerts(o)] == [
        "Quầy 3: 3/4 đánh giá không hài lòng trong 15 phút qua"
    ]


def test_ratings_older_than_the_window_do_not_count(office: Office) -> None:
    o = office
    o.open("q3")
    oldest = visit(o, "q3", "dissatisfied")
    for level in ("dissatisfied", "satisfied", "satisfied"):
        visit(o, "q3", level)
    window = timedelta(minutes=15)
    assert of_kind(alerts(o, now=oldest.received_at + window), "satisfaction_drop")
    assert alerts(o, now=oldest.received_at + window + timedelta(seconds=1)) == []


def test_ratings_of_different_desks_are_not_pooled(office: Office) -> None:
    o = office
    o.open("q1")
    o.open("q3")
    for desk in ("q1", "q3", "q1", "q3"):
        visit(o, desk, "dissatisfied")
    assert alerts(o) == []


def test_the_thresholds_come_from_the_site_config(sqlite_db: Database) -> None:
    config = make_site(
        rating={"alert": {"window_minutes": 5, "min_ratings": 2, "unhappy_pct": 100}}
    )
    o = Office(config, sqlite_db)
    o.open("q2")
    visit(o, "q2", "dissatisfied")
    visit(o, "q2", "dissatisfied")
    [alert] = alerts(o)
    assert alert.message == "Quầy 2: 2/2 đánh giá không hài lòng trong 5 phút qua"
    visit(o, "q2", "satisfied")  # 2 of 3 is below 100 %
    assert alerts(o) == []


def test_a_zero_percent_threshold_still_needs_someone_unhappy(sqlite_db: Database) -> None:
    o = Office(make_site(rating={"alert": {"min_ratings": 2, "unhappy_pct": 0}}), sqlite_db)
    o.open("q1")
    visit(o, "q1", "satisfied")
    visit(o, "q1", "very_satisfied")
    assert alerts(o) == []
    visit(o, "q1", "dissatisfied")
    assert [a.message for a in alerts(o)] == [
        "Quầy 1: 1/3 đánh giá không hài lòng trong 15 phút qua"
    ]


def test_a_neutral_face_on_a_5_level_pad_counts_as_unhappy(sqlite_db: Database) -> None:
    o = Office(make_site(rating={"scale": 5}), sqlite_db)
    o.open("q1")
    for level in ("neutral", "very_dissatisfied", "satisfied", "very_satisfied"):
        visit(o, "q1", level)
    assert [a.message for a in alerts(o)] == [
        "Quầy 1: 2/4 đánh giá không hài lòng trong 15 phút qua"
    ]


# ------------------------------------------------------------------ devices


def test_an_offline_device_is_critical_a_never_seen_one_is_not_an_alert(office: Office) -> None:
    o = office
    went_away = T0 - timedelta(minutes=30)  # 08:30 in Hà Nội
    seen(o, "kiosk-1", "offline", went_away)
    seen(o, "pad-q1", "online", T0 - timedelta(hours=1))
    seen(o, "retired-pad", "offline", went_away)  # no longer in the site configuration
    # board-1, monitor-1, kiosk-2 and the other pads were never seen: not installed yet.

    [alert] = alerts(o)
    assert alert.kind == "device_offline" and alert.severity == "critical"
    assert alert.key == "device_offline:kiosk-1" and alert.device_id == "kiosk-1"
    assert alert.message == "Ki-ốt lấy số sảnh chính: mất kết nối từ 08:30"
    assert alert.message_en == "Main hall kiosk: offline since 08:30"  # its name_en
    assert alert.since == went_away


def test_a_device_offline_since_yesterday_says_the_date(office: Office) -> None:
    seen(office, "board-1", "offline", T0 - timedelta(hours=16))  # 17:00 the day before
    [alert] = alerts(office)
    assert alert.message == "Màn hình gọi số: mất kết nối từ 09/03/2025 17:00"


@pytest.mark.parametrize(
    ("printer", "severity", "words"),
    [
        ("paper_out", "critical", "máy in hết giấy"),
        ("cover_open", "critical", "máy in đang mở nắp"),
        ("offline", "critical", "máy in mất kết nối"),
        ("paper_near_end", "warning", "máy in sắp hết giấy"),
    ],
)
def test_each_printer_problem_of_an_online_kiosk(
    office: Office, printer: str, severity: str, words: str
) -> None:
    seen(office, "kiosk-1", "online", T0 - timedelta(hours=1), printer=printer)
    seen(office, "kiosk-2", "online", T0 - timedelta(hours=1), printer="ok")
    [alert] = alerts(office)
    assert (alert.kind, alert.severity, alert.device_id) == ("printer_paper", severity, "kiosk-1")
    assert alert.message == f"Ki-ốt lấy số sảnh chính: {words}"
    assert alert.key == f"printer_paper:kiosk-1:{printer}"


@pytest.mark.parametrize("printer", ["ok", "unknown", None])
def test_a_kiosk_printer_without_a_problem_is_quiet(office: Office, printer: str | None) -> None:
    seen(office, "kiosk-1", "online", T0 - timedelta(hours=1), printer=printer)
    assert alerts(office) == []


def test_an_offline_kiosk_is_reported_offline_not_out_of_paper(office: Office) -> None:
    """Its last health report is stale: only the lost connection is news."""
    seen(office, "kiosk-2", "offline", T0 - timedelta(minutes=5), printer="paper_out")
    [alert] = alerts(office)
    assert alert.kind == "device_offline"
    assert alert.message == "Ki-ốt kiosk-2: mất kết nối từ 08:55"  # kiosk-2 has no name


# ------------------------------------------------------------------ waiting


def test_a_wait_just_over_the_target_is_a_warning(office: Office) -> None:
    o = office
    o.issue("tp")  # 15-minute target
    target = timedelta(minutes=15)
    assert alerts(o, now=T0 + target - timedelta(seconds=1)) == []
    assert alerts(o, now=T0 + target) == []
    [alert] = alerts(o, now=T0 + target + timedelta(seconds=1))
    assert (alert.kind, alert.severity, alert.service) == ("wait_beyond_target", "warning", "tp")
    assert alert.key == "wait_beyond_target:tp"
    assert alert.message == "Tư pháp – Hộ tịch: có người chờ 16 phút (mục tiêu 15 phút)"
    assert alert.since == T0

    o.clock.advance(minutes=23)
    [alert] = alerts(o)
    assert alert.message == "Tư pháp – Hộ tịch: có người chờ 23 phút (mục tiêu 15 phút)"
    assert (
        alert.message_en
        == "Justice – Civil status: someone has waited 23 minutes (target 15 minutes)"
    )
    longest = o.queue_state("tp").longest_wait_s  # the figure the queue view shows
    assert longest is not None and math.ceil(longest / 60) == 23


def test_each_service_has_its_own_target(office: Office) -> None:
    o = office
    o.issue("tp")  # 15 minutes
    o.issue("dd")  # 20 minutes
    o.clock.advance(minutes=18)
    assert [a.service for a in alerts(o)] == ["tp"]
    o.clock.advance(minutes=3)
    assert {a.service for a in alerts(o)} == {"tp", "dd"}
    assert any(a.message == "Đất đai: có người chờ 21 phút (mục tiêu 20 phút)" for a in alerts(o))


def test_only_people_still_waiting_today_count(office: Office) -> None:
    o = office
    o.clock.set(T0 - timedelta(days=1))
    o.issue("tp")  # yesterday's, never called: nobody is waiting for it today
    o.clock.set(T0)
    o.issue("tp")  # A001, called after 10 minutes
    o.clock.advance(minutes=5)
    second = o.issue("tp")  # A002
    o.open("q1")
    o.clock.advance(minutes=5)
    assert o.call_next("q1").number == "A001"

    o.clock.set(T0 + timedelta(minutes=16))  # A001 was issued 16 min ago, but called
    assert alerts(o) == []
    o.clock.set(T0 + timedelta(minutes=20, seconds=1))  # A002 has waited just over 15 min
    [alert] = alerts(o)
    assert alert.message == "Tư pháp – Hộ tịch: có người chờ 16 phút (mục tiêu 15 phút)"
    assert alert.since == second.issued_at


# ------------------------------------------------------------------ together


def test_critical_first_then_oldest_first(office: Office) -> None:
    o = office
    o.issue("dd")  # 09:00, waits
    seen(o, "kiosk-1", "online", T0 - timedelta(hours=1), printer="paper_near_end")
    seen(o, "board-1", "offline", T0 + timedelta(minutes=10))
    seen(o, "kiosk-2", "offline", T0 + timedelta(minutes=2))
    o.clock.advance(minutes=5)
    o.open("q1")
    for _ in range(4):
        visit(o, "q1", "dissatisfied")  # the first at 09:06
    o.clock.set(T0 + timedelta(minutes=21))

    assert [a.key for a in alerts(o)] == [
        "device_offline:kiosk-2",  # critical, 09:02
        "satisfaction_drop:q1",  # critical, 09:06
        "device_offline:board-1",  # critical, 09:10
        "wait_beyond_target:dd",  # warning, 09:00
        "printer_paper:kiosk-1:paper_near_end",  # warning, start unknown
    ]


def test_a_busy_morning_costs_three_queries(office: Office) -> None:
    o = office
    for desk in ("q1", "q2", "q3", "q4", "q5", "q6"):
        o.open(desk)
        for level in ("dissatisfied", "satisfied"):
            visit(o, desk, level)
    for code in o.config.service_by_code:
        for _ in range(5):
            o.issue(code)
    for dev in o.config.devices:
        seen(o, dev.id, "offline", T0)
    o.clock.advance(minutes=30)

    with selects(o.db) as executed:
        found = alerts(o)
    assert len(executed) == 3
    assert len(of_kind(found, "device_offline")) == len(o.config.devices)
    assert len(of_kind(found, "wait_beyond_target")) == len(o.config.services)


@contextlib.contextmanager
def selects(db: Database) -> Iterator[list[str]]:
    """The SELECT statements sent to ``db`` inside the block."""
    executed: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            executed.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield executed
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
