"""Issue 14 in the reports: phone ratings counted by source (figures, filter, roll-ups,
API, exports), the suggestion box counted (received / handled / open, narrowed by
service only), and "Ý kiến của công dân" — the comments and suggestions listed, bounded,
and shown exactly as typed in the xlsx (never a formula), the CSV (guarded), the PDF
(no markup, no contact) and the API; `motcua report --by citizens`.

A week of simulated history (which now holds phone ratings and suggestions) with hostile
comments rated on the phone and hostile suggestions, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import RatingRow, SuggestionRow, TicketRow
from server.reports import citizens
from server.reports.csv_export import BOM, citizens_csv
from server.reports.figures import build_report
from server.reports.files import report_file
from server.reports.model import Filters, Report
from server.reports.official import official_table
from server.reports.pdf import report_pdf
from server.reports.period import parse_period
from server.reports.rollup import Rollups
from server.reports.xlsx import report_xlsx
from server.simulation.bulk import bulk_history
from tests.conftest import make_runtime
from tests.support.citizens_data import (
    CONTACT,
    FORMULA,
    HOSTILE,
    MARKUP,
    SCRIPT,
    add_suggestions,
    hand_citizens,
    rate_by_phone,
)
from tests.support.http import login
from tests.support.poppler import pdf_text
from tests.support.report_data import make_report
from tests.support.services import create_pg_database, sqlite_url, start_mosquitto
from tests.support.sites import make_site, write_site

FIRST, LAST = date(2026, 10, 12), date(2026, 10, 17)
PERIOD = "2026-10-12..2026-10-17"
#: Long after the week: every day settled, every suggestion handled by then counted.
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
SITE = "gialoc"
MOTCUA = str(Path(sys.executable).with_name("motcua"))


@dataclass
class Office:
    site: SiteConfig
    db: Database
    url: str


def _fill(db: Database, site: SiteConfig) -> None:
    """The week, hostile comments given on phones, hostile suggestions (one with a
    service, one handled, one with a contact), and one suggestion after the week."""
    bulk_history(db, site, first=FIRST, last=LAST, seed=5, visits_per_day=60)
    rate_by_phone(db, site, FIRST, LAST, HOSTILE)
    with db.write() as s:
        add_suggestions(s, site, date(2026, 10, 14), HOSTILE[:3], service="dd", handled=1)
        add_suggestions(s, site, date(2026, 10, 15), HOSTILE[3:], contact=None)
        add_suggestions(s, site, date(2026, 10, 19), ("Góp ý sau kỳ báo cáo",), handled=1)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    site = make_site()
    pg = create_pg_database() if request.param == "postgres" else None
    url = pg.url if pg else sqlite_url(tmp_path_factory.mktemp("citizens"))
    db = Database(url)
    try:
        upgrade(db)
        _fill(db, site)
        yield Office(site, db, url)
    finally:
        db.dispose()
        if pg:
            pg.drop()


def _build(o: Office, rollups: Rollups | None = None, **filters: Any) -> Report:
    with o.db.read() as s:
        return build_report(
            s, o.site, parse_period(PERIOD), Filters(**filters), now=NOW, rollups=rollups
        )


def _rows(o: Office, table: Any) -> list[Any]:
    with o.db.read() as s:
        return list(s.execute(select(table.__table__)))


def _same(a: Report, b: Report) -> bool:
    return a.model_dump(exclude={"generated_at"}) == b.model_dump(exclude={"generated_at"})


# ----------------------------------------------------------------------------- figures


def test_phone_ratings_count_by_source_filter_and_roll_up(office: Office) -> None:
    ratings = [r for r in _rows(office, RatingRow) if FIRST <= r.day <= LAST]
    sources = Counter(r.source for r in ratings)
    assert sources["phone"] >= len(HOSTILE) and sources["pad"] and sources["kiosk"]
    report = _build(office)
    assert report.total.by_source == dict(sorted(sources.items()))
    for by in ("clerk", "desk", "service", "day"):
        summed: Counter[str] = Counter()
        for row in report.by[by]:
            summed.update(row.figures.by_source)
        assert summed == sources, by
    phone = _build(office, source="phone")
    assert phone.total.ratings == sources["phone"]
    assert phone.total.by_source == {"phone": sources["phone"]}
    assert phone.total.issued == report.total.issued  # a source narrows ratings, not visits
    # stored roll-ups give the same report as the raw rows, with phone ratings in them
    rollups = Rollups(office.db, office.site)
    assert _same(_build(office, rollups), report)  # roll-ups built
    assert _same(_build(office, rollups), report)  # roll-ups read back
    assert _same(_build(office, rollups, source="phone"), phone)


def test_suggestions_are_counted_received_handled_open(office: Office) -> None:
    rows = [n for n in _rows(office, SuggestionRow) if FIRST <= n.day <= LAST]
    handled = [n for n in rows if n.handled_at is not None and n.handled_at <= NOW]
    assert len(rows) > len(HOSTILE) and handled  # the simulation's and ours
    counts = _build(office).citizens.suggestions
    assert counts is not None
    assert (counts.received, counts.handled, counts.open) == (
        len(rows),
        len(handled),
        len(rows) - len(handled),
    )
    dd = [n for n in rows if n.service == "dd"]
    narrowed = _build(office, service="dd").citizens
    assert narrowed.suggestions is not None and narrowed.suggestions.received == len(dd)
    assert {s.text for s in narrowed.suggestion_items} == {n.text for n in dd}
    # not tied to a desk, clerk or source: left out under those filters
    for f in ({"desk": "q1"}, {"clerk": "c02"}, {"source": "phone"}):
        said = _build(office, **f).citizens
        assert said.suggestions is None and not said.suggestion_items, f
    # listed oldest first, the contact kept for the supervisor, the later one not in
    items = _build(office).citizens.suggestion_items
    assert [s.received_at for s in items] == sorted(n.received_at for n in rows)
    assert "Góp ý sau kỳ báo cáo" not in {s.text for s in items}
    ours = [s for s in items if s.text in HOSTILE]
    assert [s.text for s in ours] == list(HOSTILE)
    assert ours[0].contact == CONTACT and ours[0].handled_at and ours[0].handled_note
    assert ours[1].handled_at is None and ours[1].handled_note is None


def test_comments_follow_every_filter_and_are_bounded(office: Office) -> None:
    tickets = {t.id: t for t in _rows(office, TicketRow)}
    said = [r for r in _rows(office, RatingRow) if FIRST <= r.day <= LAST and r.comment]
    report = _build(office)
    c = report.citizens
    assert c.comments_total == len(c.comments) == len(said) > len(HOSTILE)
    assert [x.at for x in c.comments] == sorted(r.sent_at for r in said)
    by_text = {x.text: x for x in c.comments}
    for r in said:
        x = by_text[r.comment] if r.comment in HOSTILE else None
        if x is not None:  # exactly as stored, with its visit
            assert (x.number, x.service, x.desk_id, x.clerk_id, x.source) == (
                tickets[r.ticket_id].number,
                r.service,
                r.desk_id,
                r.clerk_id,
                "phone",
            )
    assert set(HOSTILE) <= set(by_text)
    clerk = said[0].clerk_id
    mine = _build(office, clerk=clerk).citizens
    assert mine.comments_total == sum(r.clerk_id == clerk for r in said)
    assert {x.clerk_id for x in mine.comments} == {clerk}
    assert _build(office, source="kiosk").citizens.comments_total == 0
    service = said[0].service
    assert {x.service for x in _build(office, service=service).citizens.comments} == {service}
    with office.db.read() as s:
        first_two, total = citizens.comments(s, SITE, FIRST, LAST, Filters(), limit=2)
    assert total == len(said) and [x.text for x in first_two] == [x.text for x in c.comments[:2]]


# ----------------------------------------------------------------------------- exports


def _xlsx(report: Report, site: SiteConfig) -> tuple[openpyxl.Workbook, bytes]:
    body = report_xlsx(report, official_table(report, site), site)
    return openpyxl.load_workbook(io.BytesIO(body)), body


def _cell_of(ws: Any, text: str) -> Any:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell
    raise AssertionError(f"{text!r} not in {ws.title!r}")


def test_xlsx_keeps_citizens_text_as_text(office: Office) -> None:
    report = _build(office)
    wb, body = _xlsx(report, office.site)
    ws = wb["Ý kiến của công dân"]
    for text in (*HOSTILE, CONTACT):
        cell = _cell_of(ws, text)
        assert cell.data_type == "s", (text, cell.data_type)
    assert _cell_of(ws, FORMULA).quotePrefix and _cell_of(ws, CONTACT).quotePrefix
    for sheet in wb.worksheets:  # no formula anywhere in the file
        assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    kinds = Counter(ws.cell(r, 1).value for r in range(1, ws.max_row + 1))
    counts = report.citizens.suggestions
    assert counts is not None
    assert kinds["Đánh giá"] == report.citizens.comments_total
    assert kinds["Góp ý"] == counts.received
    summary = wb["Tổng hợp"]
    for label, value in (
        ("Phiếu qua điện thoại", report.total.by_source["phone"]),
        ("Góp ý nhận được", counts.received),
        ("Góp ý đã xử lý", counts.handled),
        ("Góp ý chưa xử lý", counts.open),
    ):
        cell = _cell_of(summary, label)
        assert summary.cell(cell.row, 2).value == value, label
    clerks = wb["Theo cán bộ"]
    head = _cell_of(clerks, "Phiếu qua điện thoại")
    column = [clerks.cell(r, head.column).value for r in range(head.row + 1, clerks.max_row + 1)]
    assert sum(v or 0 for v in column) == report.total.by_source["phone"]


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_csv_of_citizens_is_guarded(office: Office) -> None:
    with office.db.read() as s:
        body, report = report_file(
            s, office.site, parse_period(PERIOD), Filters(), "csv", by="citizens", now=NOW
        )
    rows = _csv_rows(body)
    assert rows[0][:4] == ["Loại", "Ngày", "Giờ", "Số"] and rows[0][10] == "Nội dung"
    counts = report.citizens.suggestions
    assert counts is not None
    assert len(rows) == 1 + report.citizens.comments_total + counts.received
    texts = [r[10] for r in rows[1:]]
    for text in HOSTILE:
        guarded = "'" + text if text[0] in "=+-@" else text
        assert texts.count(guarded) == 2, text  # a comment and a suggestion
    assert "'" + CONTACT in [r[11] for r in rows[1:]]
    day = next(r for r in rows[1:] if r[10] == "'" + FORMULA)
    assert day[1].count("/") == 2 and len(day[2]) == 5  # dd/mm/yyyy, HH:MM
    english = _csv_rows(citizens_csv(report, office.site, "en"))
    assert english[0][0] == "Kind" and {"Rating", "Suggestion"} == {r[0] for r in english[1:]}


def test_pdf_prints_citizens_text_literally_without_contacts(office: Office) -> None:
    report = _build(office)
    text = pdf_text(report_pdf(report, official_table(report, office.site), office.site))
    assert "Ý kiến của công dân" in text and "Hòm thư góp ý" in text
    for literal in (MARKUP, SCRIPT, FORMULA, "@SUM(A1:A9)"):
        assert literal in text, literal
    assert "cmd|" not in text  # the contact is not printed
    assert "Thông tin liên hệ của người góp ý không in" in text
    assert "Phiếu qua điện thoại" in text and "Góp ý nhận được" in text


def test_long_lists_say_how_many_more() -> None:
    site = make_site()
    report = make_report(site, parse_period("2026-Q3"))
    said = hand_citizens(date(2026, 8, 12))
    many = [said.comments[i % len(said.comments)] for i in range(45)]
    assert said.suggestions is not None
    report = report.model_copy(
        update={
            "citizens": said.model_copy(
                update={
                    "comments": many,
                    "comments_total": 557,
                    "suggestions": said.suggestions.model_copy(update={"received": 19}),
                }
            )
        }
    )
    wb, _ = _xlsx(report, site)
    ws = wb["Ý kiến của công dân"]
    _cell_of(ws, "… và 512 ý kiến khác (xem trên trang báo cáo, tệp Excel, hoặc chọn kỳ ngắn hơn)")
    _cell_of(ws, "… và 12 góp ý khác (xem trên trang báo cáo, tệp Excel, hoặc chọn kỳ ngắn hơn)")
    lines = _csv_rows(citizens_csv(report, site))
    assert lines[-2][0].startswith("… và 512 ý kiến khác") and lines[-1][0].startswith("… và 12")
    # the PDF prints 40 of each and counts the rest
    text = pdf_text(report_pdf(report, official_table(report, site), site))
    assert "… và 517 ý kiến khác" in " ".join(text.split())
    # a report with no suggestion filter-wise says why instead of counting
    narrowed = report.model_copy(
        update={"citizens": said.model_copy(update={"suggestions": None, "suggestion_items": []})}
    )
    wb, _ = _xlsx(narrowed, site)
    _cell_of(
        wb["Ý kiến của công dân"],
        "Góp ý không gắn với quầy, cán bộ hay nguồn đánh giá: bỏ các bộ lọc đó để xem.",
    )
    assert "Góp ý nhận được" not in [c.value for c in wb["Tổng hợp"]["A"]]


# ----------------------------------------------------------------------------- API and CLI


@pytest.fixture(scope="module")
def api(
    office: Office, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, TestClient]]:
    broker = start_mosquitto(office.site, tmp_path_factory.mktemp("mosquitto"))
    rt = make_runtime(office.site, office.url, broker)
    try:
        with TestClient(create_app(rt)) as client:
            yield rt, client
    finally:
        rt.stop()
        broker.stop()


def test_the_api_gives_comments_and_suggestions_to_supervisors_only(office, api) -> None:
    rt, client = api
    boss = login(client, rt, "giamsat", "supervisor")
    base = f"/api/sites/{SITE}/reports"
    r = client.get(f"{base}/view", params={"period": PERIOD}, headers=boss)
    assert r.status_code == 200, r.text[:300]
    got = r.json()["report"]
    c = got["citizens"]
    assert got["total"]["by_source"]["phone"] >= len(HOSTILE)
    assert set(HOSTILE) <= {x["text"] for x in c["comments"]}
    assert CONTACT in {x["contact"] for x in c["suggestion_items"]}
    assert c["suggestions"]["received"] == len(c["suggestion_items"])
    # a clerk: their own comments, no suggestions (not tied to a clerk; contacts are
    # personal data)
    clerk = login(client, rt, "hung", "clerk", "c02")
    r = client.get(f"{base}/view", params={"period": PERIOD}, headers=clerk)
    theirs = r.json()["report"]["citizens"]
    assert theirs["suggestions"] is None and theirs["suggestion_items"] == []
    assert {x["clerk_id"] for x in theirs["comments"]} <= {"c02"}
    # the CSV of citizens' words, and a bad breakdown refused in both languages
    r = client.get(f"{base}/export.csv", params={"period": PERIOD, "by": "citizens"}, headers=boss)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert (
        'filename="bao-cao-gialoc-2026-10-12_2026-10-17-citizens.csv"'
        in (r.headers["content-disposition"])
    )
    assert "'" + FORMULA in [line[10] for line in _csv_rows(r.content)]
    r = client.get(f"{base}/export.csv", params={"period": PERIOD, "by": "nope"}, headers=boss)
    detail = r.json()["detail"]
    assert r.status_code == 422 and "citizens" in detail["message"] and detail["message_en"]
    r = client.get(f"{base}/export.pdf", params={"period": PERIOD}, headers=boss)
    assert r.status_code == 200 and "cmd|" not in pdf_text(r.content)


def test_the_command_line_writes_the_citizens_csv(tmp_path: Path) -> None:
    db_file = tmp_path / "motcua.db"
    config = write_site(tmp_path / "site.yaml")
    text = config.read_text(encoding="utf-8").replace(
        "sqlite:///var/motcua.db", f"sqlite:///{db_file}"
    )
    config.write_text(text, encoding="utf-8")
    site = make_site()
    db = Database(f"sqlite:///{db_file}")
    upgrade(db)
    _fill(db, site)
    db.dispose()
    out = tmp_path / "y-kien.csv"
    cmd = [MOTCUA, "report", "--config", str(config), "--period", PERIOD]
    run = subprocess.run(
        [*cmd, "--by", "citizens", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    assert "Ý kiến / comments" in run.stdout and "góp ý / suggestions" in run.stdout
    rows = _csv_rows(out.read_bytes())
    assert "'" + FORMULA in [r[10] for r in rows[1:]]
    bad = subprocess.run(
        [*cmd, "--by", "everything", "--out", str(tmp_path / "x.csv")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert bad.returncode == 2 and "citizens" in bad.stderr
    assert not (tmp_path / "x.csv").exists()


def test_phone_ratings_in_history_end_in_the_window(office: Office) -> None:
    """The simulation's phone ratings (and ours) are valid ratings of done visits."""
    tickets = {t.id: t for t in _rows(office, TicketRow)}
    window = timedelta(minutes=office.site.rating.window_minutes)
    for r in _rows(office, RatingRow):
        if r.source == "phone":
            t = tickets[r.ticket_id]
            assert t.state == "done" and t.ended_at < r.sent_at <= t.ended_at + window
