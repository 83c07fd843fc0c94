"""The reports API: the figures of a period over HTTP are those of
`build_report`; a clerk sees only their own, a display board nothing; every bad input is
a 422 in Vietnamese and English; the downloads are real files with the right names.

One server per database kind for the whole module, on six months of simulated history
(Q2–Q3 2026) with a planted suspicious pattern (`tests.support.report_history`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server.app import create_app
from server.auth.sessions import SESSION_COOKIE
from server.db.tables import LetterRow, RatingRow, TicketRow
from server.reports.charts import chart_data
from server.reports.figures import build_report
from server.reports.model import Filters, OfficialTable, Report
from server.reports.official import official_table
from server.reports.period import parse_period
from server.reports.wording import SHEETS
from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.http import login
from tests.support.poppler import pdf_text
from tests.support.report_history import PHANTOM_COUNT, QUARTER, write_history
from tests.support.services import create_pg_database, sqlite_url, start_mosquitto
from tests.support.sites import make_site

SITE = "gialoc"
BASE = f"/api/sites/{SITE}/reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = b"\xef\xbb\xbf"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerRuntime, TestClient]]:
    """A running server whose database holds Q2–Q3 2026, and a client of its app."""
    site = make_site()
    tmp = tmp_path_factory.mktemp("reports")
    pg = create_pg_database() if request.param == "postgres" else None
    broker = start_mosquitto(site, tmp / "mosquitto")
    rt = make_runtime(site, pg.url if pg else sqlite_url(tmp), broker)
    try:
        write_history(rt.db, site)
        with TestClient(create_app(rt)) as client:
            yield rt, client
    finally:
        rt.stop()
        broker.stop()
        if pg:
            pg.drop()


@pytest.fixture(scope="module")
def supervisor(office: tuple[ServerRuntime, TestClient]) -> dict[str, str]:
    rt, api = office
    return login(api, rt, "giamsat", "supervisor")


def _ok(r: httpx.Response) -> Any:
    assert r.status_code == 200, f"{r.status_code} {r.text[:500]}"
    return r.json()


def _refused(r: httpx.Response, status: int, code: str) -> dict[str, str]:
    assert r.status_code == status, f"expected {status} {code}: {r.status_code} {r.text[:500]}"
    detail = r.json()["detail"]
    assert detail["code"] == code, detail
    assert detail["message"] and detail["message_en"], detail
    assert detail["message"] != detail["message_en"], "a Vietnamese and an English message"
    return detail


def _same(api_report: dict[str, Any], built: Report) -> None:
    """The report over HTTP is the one built directly (the time it was made aside)."""
    got = Report.model_validate(api_report).model_dump(mode="json", exclude={"generated_at"})
    assert got == built.model_dump(mode="json", exclude={"generated_at"})


def _build(rt: ServerRuntime, period: str, filters: Filters | None = None, **kw: Any) -> Report:
    with rt.db.read() as s:
        return build_report(s, rt.config, parse_period(period), filters, **kw)


# ----------------------------------------------------------------------------- figures


def test_the_api_gives_the_figures_of_build_report(office, supervisor) -> None:
    rt, api = office
    body = _ok(api.get(BASE, params={"period": QUARTER}, headers=supervisor))
    built = _build(rt, QUARTER)
    _same(body, built)
    assert body["total"]["ratings"] > 3000 and body["total"]["satisfaction_pct"] is not None
    assert body["previous"]["period"]["code"] == "2026-Q2"
    assert body["previous"]["figures"]["ratings"] > 0
    alone = _ok(api.get(BASE, params={"period": QUARTER, "compare": "false"}, headers=supervisor))
    assert alone["previous"] is None and alone["last_year"] is None
    assert alone["total"] == body["total"]
    assert {f["kind"] for f in body["flags"]} >= {"phantom_service"}
    phantom = next(f for f in body["flags"] if f["kind"] == "phantom_service")
    assert phantom["count"] >= PHANTOM_COUNT and phantom["desk_id"] == "q2"

    # filtered: a service and a rating source, and a month given as a range
    params = {"period": "2026-08-01..2026-08-31", "service": "tp", "source": "pad"}
    body = _ok(api.get(BASE, params=params, headers=supervisor))
    filtered = _build(rt, "2026-08-01..2026-08-31", Filters(service="tp", source="pad"))
    _same(body, filtered)
    whole = _build(rt, "2026-08", compare=False)
    assert 0 < body["total"]["ratings"] < whole.total.ratings
    assert set(body["total"]["by_source"]) == {"pad"}


def test_official_table_charts_and_page_view_agree_with_the_report(office, supervisor) -> None:
    rt, api = office
    built = _build(rt, QUARTER)
    table = official_table(built, rt.config, "vi", made_on=rt.engine.today())
    got = OfficialTable.model_validate(
        _ok(api.get(f"{BASE}/official", params={"period": QUARTER}, headers=supervisor))
    )
    assert got == table
    assert got.title == "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG"
    assert got.total.satisfaction_pct == built.total.satisfaction_pct
    en = _ok(
        api.get(f"{BASE}/official", params={"period": QUARTER, "lang": "en"}, headers=supervisor)
    )
    assert en["title"] == "SUMMARY OF CITIZEN SATISFACTION RATINGS"

    charts = _ok(api.get(f"{BASE}/charts", params={"period": QUARTER}, headers=supervisor))
    assert charts == chart_data(built, "vi", small_sample=rt.config.rating.small_sample)
    assert charts["trend"]["by"] == "week"

    view = _ok(api.get(f"{BASE}/view", params={"period": QUARTER}, headers=supervisor))
    _same(view["report"], built)
    assert OfficialTable.model_validate(view["official"]) == table
    assert view["charts"] == charts
    assert view["official_text"]["date_line"].startswith(rt.config.letters.place or "Ngày")


# ----------------------------------------------------------------------------- roles


def test_a_clerk_sees_only_their_own_figures(office, supervisor) -> None:
    rt, api = office
    lan = login(api, rt, "lan", "clerk", "c01")
    mine = _ok(api.get(BASE, params={"period": QUARTER}, headers=lan))
    assert mine["filters"]["clerk"] == "c01"
    assert [r["key"] for r in mine["by"]["clerk"]] == ["c01"]
    _same(mine, _build(rt, QUARTER, Filters(clerk="c01")))
    office_total = _ok(api.get(BASE, params={"period": QUARTER}, headers=supervisor))["total"]
    assert 0 < mine["total"]["ratings"] < office_total["ratings"]
    # asking for their own clerk id is the same; another clerk's is refused
    _ok(api.get(BASE, params={"period": QUARTER, "clerk": "c01"}, headers=lan))
    for path in ("", "/official", "/view", "/export.xlsx", "/export.csv", "/dossiers.csv"):
        r = api.get(BASE + path, params={"period": QUARTER, "clerk": "c02"}, headers=lan)
        detail = _refused(r, 403, "not_your_figures")
        assert "chính mình" in detail["message"]
    # the downloads hold their own lines only
    lines = _csv(api.get(f"{BASE}/export.csv", params={"period": QUARTER}, headers=lan))
    assert len(lines) == 2 and lines[1][1] == "c01"
    dossiers = _csv(api.get(f"{BASE}/dossiers.csv", params={"period": "2026-08"}, headers=lan))
    assert len(dossiers) > 10
    assert {line[4] for line in dossiers[1:]} == {"c01"}
    table = _ok(api.get(f"{BASE}/official", params={"period": QUARTER}, headers=lan))
    assert [r["clerk_id"] for r in table["rows"]] == ["c01"]


def test_a_board_sees_nothing_and_nobody_anonymous(office) -> None:
    rt, api = office
    board = login(api, rt, "tv-sanh", "board")
    for path in ("", "/official", "/charts", "/view", "/export.pdf", "/dossiers.csv"):
        _refused(api.get(BASE + path, params={"period": QUARTER}, headers=board), 403, "forbidden")
        _refused(api.get(BASE + path, params={"period": QUARTER}), 401, "not_logged_in")

    # the page: a board is turned away, an anonymous visitor sent to the log-in
    cookie = {"Cookie": f"{SESSION_COOKIE}={board['Authorization'].split()[1]}"}
    assert api.get("/reports", headers=cookie, follow_redirects=False).status_code == 403
    r = api.get("/reports?period=2026-Q3&clerk=c02", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/reports%3Fperiod%3D2026-Q3%26clerk%3Dc02"
    login_form = api.get(r.headers["location"])
    assert 'value="/reports?period=2026-Q3&amp;clerk=c02"' in login_form.text
    lan = login(api, rt, "lan", "clerk", "c01")
    cookie = {"Cookie": f"{SESSION_COOKIE}={lan['Authorization'].split()[1]}"}
    page = api.get("/reports", headers=cookie, follow_redirects=False)
    assert page.status_code == 200 and '<a href="/reports">Báo cáo</a>' in page.text


# ----------------------------------------------------------------------------- bad input


def _counts(rt: ServerRuntime) -> tuple[int, ...]:
    with rt.db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (TicketRow, RatingRow, LetterRow)
        )


BAD_PERIODS = [
    ("2026-13", "bad_period", "tháng phải từ 1 đến 12"),
    ("2026-Q5", "bad_period", "quý phải từ 1 đến 4"),
    ("2026-W54", "bad_period", "năm 2026 có 53 tuần"),
    ("2026-02-30", "bad_period", "không có ngày 2026-02-30"),
    ("2020-01-01..2026-01-01", "period_too_long", "dài quá 5 năm"),
    ("2026-09-30..2026-09-01", "bad_period", "ngày kết thúc trước ngày bắt đầu"),
    ("quý 3", "bad_period", "hãy viết theo mẫu"),
    ("", "missing_period", "Hãy chọn kỳ báo cáo"),
]
BAD_FILTERS = [
    ({"clerk": "c99"}, "", "unknown_clerk", "Không có cán bộ “c99”"),
    ({"service": "zz"}, "", "unknown_service", "Không có lĩnh vực “zz”"),
    ({"desk": "q99"}, "", "unknown_desk", "Không có quầy “q99”"),
    ({"source": "fax"}, "", "bad_source", "Nguồn đánh giá “fax” không hợp lệ"),
    ({"by": "year"}, "/export.csv", "bad_by", "Cách chia “year” không hợp lệ"),
    ({"lang": "fr"}, "/export.pdf", "bad_lang", "Ngôn ngữ “fr” không hợp lệ"),
    ({"clerk": "c99"}, "/dossiers.csv", "unknown_clerk", "Không có cán bộ “c99”"),
]


def test_bad_input_is_refused_in_both_languages_and_nothing_is_stored(office, supervisor) -> None:
    rt, api = office
    before = _counts(rt)
    for period, code, said in BAD_PERIODS:
        for path in ("", "/export.xlsx"):
            r = api.get(BASE + path, params={"period": period}, headers=supervisor)
            detail = _refused(r, 422, code)
            assert said in detail["message"], (period, detail)
    for params, path, code, said in BAD_FILTERS:
        r = api.get(BASE + path, params={"period": QUARTER, **params}, headers=supervisor)
        detail = _refused(r, 422, code)
        assert said in detail["message"], (params, detail)
    assert _counts(rt) == before


def test_an_unknown_site_is_404(office, supervisor) -> None:
    _, api = office
    r = api.get("/api/sites/khac/reports", params={"period": QUARTER}, headers=supervisor)
    detail = _refused(r, 404, "unknown_site")
    assert "khac" in detail["message"] and detail["message_en"] == "unknown site"


# ----------------------------------------------------------------------------- downloads


def _filename(r: httpx.Response) -> str:
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    return disposition.split("filename=", 1)[1].strip('"')


def _csv(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text[:300]
    assert r.content.startswith(BOM)
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_downloads_are_valid_files_with_their_names(office, supervisor) -> None:
    rt, api = office
    built = _build(rt, QUARTER)
    q = {"period": QUARTER}

    r = api.get(f"{BASE}/export.xlsx", params=q, headers=supervisor)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert _filename(r) == "bao-cao-gialoc-2026-Q3.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    sheet = wb[SHEETS["official"][0]]
    total = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "Tổng cộng")
    assert total[2] == built.total.ratings and total[6] == built.total.satisfaction_pct

    r = api.get(f"{BASE}/export.pdf", params={**q, "clerk": "c02"}, headers=supervisor)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert _filename(r) == "bao-cao-gialoc-2026-Q3-c02.pdf"
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in text and "Trần Văn Hùng" in text

    r = api.get(f"{BASE}/export.csv", params={**q, "by": "service"}, headers=supervisor)
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert _filename(r) == "bao-cao-gialoc-2026-Q3-service.csv"
    lines = _csv(r)
    assert lines[0][0] == "Lĩnh vực"
    assert [line[1] for line in lines[1:]] == [row.key for row in built.by["service"]]

    month = {"period": "2026-07-01..2026-07-31", "lang": "en"}
    r = api.get(f"{BASE}/dossiers.csv", params=month, headers=supervisor)
    assert _filename(r) == "ho-so-gialoc-2026-07-01_2026-07-31.csv"
    lines = _csv(r)
    assert lines[0][0] == "Dossier code" and len(lines) > 100
    r = api.get(f"{BASE}/dossiers.xlsx", params=month, headers=supervisor)
    assert _filename(r) == "ho-so-gialoc-2026-07-01_2026-07-31.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    column = [c.value for c in sheet["A"]]
    head = column.index("Dossier code")
    assert column[head + 1 :] == [line[0] for line in lines[1:]]  # the same lines as the CSV


# ----------------------------------------------------------------------------- desk stats


def test_desk_stats_refuse_a_range_and_point_to_the_reports(office, supervisor) -> None:
    _, api = office
    stats = f"/api/sites/{SITE}/desks/stats"
    for params in (
        {"from": "2026-07-01", "to": "2026-07-31"},
        {"date": "2026-07-01", "to": "2026-07-31"},
        {"period": "2026-Q3"},
    ):
        detail = _refused(api.get(stats, params=params, headers=supervisor), 422, "one_day_only")
        assert "/reports" in detail["message"] and "/reports" in detail["message_en"]
    day = _ok(api.get(stats, params={"date": "2026-07-01"}, headers=supervisor))
    assert sum(d["served"] for d in day["desks"]) > 0
