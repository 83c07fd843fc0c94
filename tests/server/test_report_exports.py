"""The report exports: the official table, the xlsx read back cell by cell, the
CSV round trip, and the chart data the page and the PDF share. (The PDF: test_report_pdf.)

Each test runs on two reports of Q3 2026: one made by hand (small samples, flags) and
one made by `build_report` from simulated history (`server.simulation`).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, date, datetime, time

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from protocol.conduct import CONDUCT_ITEMS, PRAISE_CODES
from server.config import SiteConfig
from server.reports.charts import chart_data, heat_hours, trend_by
from server.reports.columns import FIGURE_COLUMNS
from server.reports.csv_export import BOM, dossiers_csv, report_csv
from server.reports.dossiers import DOSSIER_HEADERS, DossierRow
from server.reports.model import BY_VALUES, Filters, OfficialTable, Report, Row
from server.reports.official import official_table
from server.reports.period import month_period, quarter_period, year_period
from server.reports.wording import item_group, item_label
from server.reports.xlsx import dossiers_xlsx, report_xlsx
from tests.support.report_data import (
    make_dossiers,
    make_report,
    simulated_example,
)
from tests.support.sites import make_site

MADE_ON = date(2026, 10, 5)
PRAISE_ORDER = [i.code for i in CONDUCT_ITEMS if i.code in PRAISE_CODES]
Q3 = quarter_period(2026, 3)


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return make_site()


@pytest.fixture(scope="module", params=["hand", "simulated"])
def source(request: pytest.FixtureRequest, site: SiteConfig) -> tuple[Report, list[DossierRow]]:
    if request.param == "hand":
        return make_report(site, Q3), make_dossiers(site, Q3)
    return simulated_example(Q3.code)


@pytest.fixture(scope="module")
def report(source: tuple[Report, list[DossierRow]]) -> Report:
    return source[0]


@pytest.fixture(scope="module")
def table(report: Report, site: SiteConfig) -> OfficialTable:
    return official_table(report, site, made_on=MADE_ON)


def _odd_dossiers(site: SiteConfig) -> list[DossierRow]:
    """Dossier lines a spreadsheet could misread: a formula, a minus sign, NFD text."""
    tz = site.tz
    base = {
        "number": "A001",
        "service": "tp",
        "service_name": unicodedata.normalize("NFD", "Tư pháp – Hộ tịch"),
        "clerk_id": "c01",
        "clerk_name": unicodedata.normalize("NFD", "Nguyễn Thị Lan"),
        "desk_id": "q1",
        "desk_name": "Quầy 1",
    }
    return [
        DossierRow(
            dossier_code="=1+1",
            ended_at=datetime(2026, 9, 30, 16, 59, tzinfo=UTC).astimezone(tz),
            level="dissatisfied",
            level_raw="very_dissatisfied",
            reasons=["khong_tre_hen", "xin_chao"],
            partial=True,
            source="kiosk",
            **base,
        ),
        DossierRow(
            dossier_code="-42",
            ended_at=datetime(2026, 9, 30, 17, 1, tzinfo=UTC).astimezone(tz),
            **base,
        ),
    ]


@pytest.fixture(scope="module")
def dossiers(source: tuple[Report, list[DossierRow]], site: SiteConfig) -> list[DossierRow]:
    assert len(source[1]) > 1000
    return source[1][:400] + _odd_dossiers(site)


@pytest.fixture(scope="module")
def workbook(report: Report, table: OfficialTable, site: SiteConfig) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(report_xlsx(report, table, site)))


# ---------------------------------------------------------------- the official table


def test_official_table_adds_up_the_clerk_rows(
    report: Report, table: OfficialTable, site: SiteConfig
) -> None:
    clerks = {r.key: r for r in report.by["clerk"]}
    assert len(clerks) >= 4
    assert [r.clerk_id for r in table.rows] == [c.id for c in site.clerks if c.id in clerks]
    assert [r.no for r in table.rows] == list(range(1, len(clerks) + 1))
    for row in table.rows:
        f = clerks[row.clerk_id].figures
        assert row.name == site.clerk_by_id[row.clerk_id].name
        assert row.ratings == f.ratings
        assert (row.very_satisfied, row.satisfied, row.dissatisfied) == (
            f.levels.get("very_satisfied", 0),
            f.levels.get("satisfied", 0),
            f.levels.get("dissatisfied", 0),
        )
        assert row.satisfaction_pct == f.satisfaction_pct
        band = site.rating.grade_for(f.satisfaction_pct)
        assert band is not None and row.grade == band.name and row.grade_en == band.name_en
        assert row.small_sample == (f.ratings < site.rating.small_sample)
    t = table.total
    assert t.ratings == sum(r.ratings for r in table.rows) == report.total.ratings
    assert t.dissatisfied == sum(r.dissatisfied for r in table.rows)
    assert t.satisfaction_pct == round(100 * (t.very_satisfied + t.satisfied) / t.ratings, 1)
    assert t.satisfaction_pct == report.total.satisfaction_pct
    assert t.name == "Tổng cộng"
    assert table.title == "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG"
    assert table.period_label == "Quý III năm 2026"
    assert table.office == site.site.name
    assert table.parent_unit == site.letters.parent_unit
    assert table.target_pct == 95
    assert (table.signer_left, table.signer_right) == ("Người lập biểu", "Thủ trưởng đơn vị")


def test_small_samples_are_noted_not_hidden(site: SiteConfig) -> None:
    t = official_table(make_report(site, Q3), site, made_on=MADE_ON)
    small = [r for r in t.rows if r.small_sample]
    assert [r.clerk_id for r in small] == ["c05", "c06"]
    assert all(r.ratings < site.rating.small_sample and r.grade for r in small)


def test_official_table_in_english(report: Report, site: SiteConfig) -> None:
    t = official_table(report, site, "en", made_on=MADE_ON)
    assert t.title == "SUMMARY OF CITIZEN SATISFACTION RATINGS"
    assert t.period_label == "Q3 2026"
    assert t.office == site.site.name_en
    assert t.total.name == "Total"
    assert t.signer_right == "Head of the unit"


def test_grades_follow_the_configured_bands(report: Report) -> None:
    strict = make_site(
        rating={
            "grades": [
                {"min_pct": 97, "name": "Hoàn thành xuất sắc", "name_en": "Outstanding"},
                {"min_pct": 0, "name": "Chưa đạt", "name_en": "Below"},
            ]
        }
    )
    t = official_table(report, strict, made_on=MADE_ON)
    for row in t.rows:
        assert row.grade == ("Hoàn thành xuất sắc" if row.satisfaction_pct >= 97 else "Chưa đạt")


def test_clerks_gone_from_the_configuration_come_last(report: Report, site: SiteConfig) -> None:
    extra = report.by["clerk"][0].model_copy(update={"key": "c99", "label": "An Văn Cũ"})
    changed = report.model_copy(update={"by": {**report.by, "clerk": [extra, *report.by["clerk"]]}})
    t = official_table(changed, site, made_on=MADE_ON)
    assert [r.clerk_id for r in t.rows][-1] == "c99"
    assert t.rows[-1].no == len(site.clerks) + 1


# ---------------------------------------------------------------- xlsx


def _find(ws: Worksheet, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not in sheet {ws.title!r}")


def _texts(ws: Worksheet) -> list[str]:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_xlsx_sheets_and_print_setup(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [
        "Tổng hợp",
        "Bảng đánh giá",
        "Theo cán bộ",
        "Theo quầy",
        "Theo lĩnh vực",
        "Theo ngày",
        "Theo tuần",
        "Theo tháng",
        "Tiêu chí",
        "Giờ cao điểm",
        "Dấu hiệu bất thường",
        "Ý kiến của công dân",
    ]
    for ws in workbook.worksheets:
        assert ws.freeze_panes, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # one page wide, or as many as keep ~30 columns readable, first column repeated
        wide = int(ws.page_setup.fitToWidth)
        assert 1 <= wide <= 3 and int(ws.page_setup.fitToHeight) == 0, ws.title
        assert wide == 1 or ws.print_title_cols == "$A:$A", ws.title
        assert ws.print_title_rows and ws.print_title_rows.startswith("$1:"), ws.title
        assert ws.column_dimensions["A"].width > 5, ws.title
        assert "&P" in ws.oddFooter.right.text


def test_xlsx_official_sheet_is_the_table(
    workbook: openpyxl.Workbook, table: OfficialTable, site: SiteConfig
) -> None:
    ws = workbook["Bảng đánh giá"]
    head, _ = _find(ws, "STT")
    assert [c.value for c in ws[head]] == [
        "STT",
        "Họ và tên cán bộ",
        "Số phiếu đánh giá",
        "Rất hài lòng",
        "Hài lòng",
        "Không hài lòng",
        "Tỷ lệ % hài lòng",
        "Xếp loại",
        "Ghi chú",
    ]
    assert ws.freeze_panes == f"A{head + 2}"
    first = head + 2  # under the column numbers (1) … (9)
    for i, row in enumerate([*table.rows, table.total]):
        cells = ws[first + i]
        values = [c.value for c in cells[:9]]
        assert values[:8] == [
            row.no or None,
            row.name,
            row.ratings,
            row.very_satisfied,
            row.satisfied,
            row.dissatisfied,
            row.satisfaction_pct,
            row.grade,
        ]
        assert values[8] == ("Mẫu nhỏ" if row.small_sample else None)
        for c in cells[2:6]:
            assert type(c.value) is int and c.number_format == "#,##0"
        assert isinstance(cells[6].value, float | int) and cells[6].number_format == "0.0"
    assert ws[first + len(table.rows)][1].value == "Tổng cộng"
    texts = _texts(ws)
    for expected in (
        "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG",
        "Quý III năm 2026",
        site.site.name.upper(),
        site.letters.parent_unit.upper(),
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        f"{site.letters.place}, ngày 05 tháng 10 năm 2026",
        "NGƯỜI LẬP BIỂU",
        "THỦ TRƯỞNG ĐƠN VỊ",
        "Mục tiêu năm 2026: 95 % hài lòng",
    ):
        assert expected in texts
    assert ws.print_title_rows == f"$1:${head + 1}"


def test_xlsx_clerk_sheet_matches_the_report(workbook: openpyxl.Workbook, report: Report) -> None:
    ws = workbook["Theo cán bộ"]
    head, _ = _find(ws, "Cán bộ")
    headers = [c.value for c in ws[head]]
    assert headers[:3] == ["Cán bộ", "Mã", "Xếp hạng"]
    assert headers[3:] == [c.header("vi") for c in FIGURE_COLUMNS]
    assert ws.freeze_panes == f"B{head + 1}"
    rows: list[Row] = report.by["clerk"]
    for i, row in enumerate(rows):
        cells = ws[head + 1 + i]
        assert (cells[0].value, cells[1].value, cells[2].value) == (row.label, row.key, row.rank)
        for column, cell in zip(FIGURE_COLUMNS, cells[3:], strict=True):
            expected = column.value(row.figures, "vi")
            if column.kind == "int":
                assert type(cell.value) is int and cell.value == expected, column.key
                assert cell.number_format == "#,##0"
            elif column.kind in ("pct", "min"):
                assert isinstance(cell.value, float | int), column.key
                assert cell.value == pytest.approx(expected), column.key
                assert cell.number_format == "0.0"
            else:
                assert (cell.value or "") == expected, column.key
        small = cells[-1].value
        assert small == ("Có" if row.figures.small_sample else None)
    assert ws.max_row == head + len(rows)
    wait = next(c for c in FIGURE_COLUMNS if c.key == "wait_mean")
    assert wait.value(rows[0].figures, "vi") == rows[0].figures.wait.mean_s / 60


def test_xlsx_time_sheets(workbook: openpyxl.Workbook, report: Report) -> None:
    days = workbook["Theo ngày"]
    head, _ = _find(days, "Ngày")
    first = days.cell(head + 1, 1)
    assert first.value == datetime.fromisoformat(report.by["day"][0].key)
    assert first.number_format == "dd/mm/yyyy"
    weeks = workbook["Theo tuần"]
    head, _ = _find(weeks, "Tuần")
    assert [weeks.cell(head + 1 + i, 1).value for i in range(len(report.by["week"]))] == [
        r.label for r in report.by["week"]
    ]


def test_xlsx_summary_compares_periods(workbook: openpyxl.Workbook, report: Report) -> None:
    ws = workbook["Tổng hợp"]
    r, _ = _find(ws, "Tỷ lệ hài lòng (%)")
    now, prev, last = (ws.cell(r, c).value for c in (2, 3, 4))
    assert report.previous and report.last_year
    assert (now, prev, last) == (
        report.total.satisfaction_pct,
        report.previous.figures.satisfaction_pct,
        report.last_year.figures.satisfaction_pct,
    )
    assert ws.cell(r, 5).value == pytest.approx(round(now - prev, 1))
    head, _ = _find(ws, "Chỉ tiêu")
    assert ws.cell(head, 3).value == "Kỳ trước\nQuý II năm 2026"
    assert ws.cell(head, 4).value == "Cùng kỳ năm trước\nQuý III năm 2025"


def test_xlsx_conduct_sheet_is_a_pareto(workbook: openpyxl.Workbook, report: Report) -> None:
    ws = workbook["Tiêu chí"]
    head, _ = _find(ws, "Số lần")
    counts = [ws.cell(head + i, 3).value for i in range(1, 14)]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == sum(report.total.reasons.values())
    assert ws.cell(head + 13, 5).value == 100
    praised = [ws.cell(head + i, 9).value for i in range(1, 9)]
    assert praised == sorted((report.total.praised.get(c, 0) for c in PRAISE_ORDER), reverse=True)


@pytest.mark.parametrize(
    ("kind", "by", "title"),
    [
        ("reasons", "clerk", "Lý do không hài lòng theo cán bộ"),
        ("praised", "service", "Điều được khen theo lĩnh vực"),
    ],
)
def test_xlsx_conduct_items_per_clerk_and_service(
    workbook: openpyxl.Workbook, report: Report, kind: str, by: str, title: str
) -> None:
    """Every cell of the items × clerks (services) block is the report's figure."""
    ws = workbook["Tiêu chí"]
    top, col = _find(ws, title)
    assert col == 1 and ws.cell(top, 1).font.bold
    head = top + 1
    rows: list[Row] = report.by[by]
    assert len(rows) >= 4
    width = 3 + len(rows)
    assert [ws.cell(head, c).value for c in range(1, width + 1)] == [
        "Tiêu chí",
        "Nhóm",
        *(r.label for r in rows),
        "Tổng",
    ]
    assert ws.cell(head, width + 1).value is None
    assert all(ws.cell(head, c).font.bold for c in range(1, width + 1))
    codes = [i.code for i in CONDUCT_ITEMS if kind == "reasons" or i.code in PRAISE_CODES]
    by_label = {item_label(c, "vi"): c for c in codes}
    seen: list[str] = []
    totals: list[int] = []
    for r in range(head + 1, head + 1 + len(codes)):
        code = by_label[ws.cell(r, 1).value]
        seen.append(code)
        assert ws.cell(r, 2).value == item_group(code)
        expected = [getattr(row.figures, kind).get(code, 0) for row in rows]
        cells = [ws.cell(r, c) for c in range(3, width + 1)]
        for cell, n in zip(cells, [*expected, sum(expected)], strict=True):
            assert type(cell.value) is int and cell.value == n, (code, cell.coordinate)
            assert cell.number_format == "#,##0"
        totals.append(cells[-1].value)
    assert sorted(seen) == sorted(codes)  # every item once (13 reasons, 8 praised)
    assert totals == sorted(totals, reverse=True)  # Pareto: most frequent first
    assert ws.cell(head + 1 + len(codes), 1).value is None  # nothing else in the block


def test_xlsx_conduct_blocks_and_print_setup(workbook: openpyxl.Workbook, report: Report) -> None:
    ws = workbook["Tiêu chí"]
    tops = [
        _find(ws, t)[0]
        for t in (
            "Lý do không hài lòng theo cán bộ",
            "Điều được khen theo cán bộ",
            "Lý do không hài lòng theo lĩnh vực",
            "Điều được khen theo lĩnh vực",
        )
    ]
    assert tops == sorted(tops) and tops[0] > _find(ws, "Số lần")[0] + 13  # below the Pareto
    assert [b.id + 1 for b in ws.row_breaks.brk] == [tops[2]]  # per service: a new page
    assert ws.print_title_rows == "$1:$3"  # the title, not the Pareto's header
    widest = 3 + max(len(report.by["clerk"]), len(report.by["service"]))
    for c in range(3, widest + 1):
        assert ws.column_dimensions[get_column_letter(c)].width >= 12


def test_xlsx_heatmap_and_flags(workbook: openpyxl.Workbook, report: Report) -> None:
    ws = workbook["Giờ cao điểm"]
    head, _ = _find(ws, "Thứ")
    hours = heat_hours(report.heatmap.arrivals)
    assert ws.cell(head, 2).value == f"{hours[0]:02d}:00"
    monday = [ws.cell(head + 1, 2 + i).value for i in range(len(hours))]
    assert monday == [report.heatmap.arrivals[0][h] for h in hours]
    assert ws.cell(head + 1, 2 + len(hours)).value == sum(report.heatmap.arrivals[0])
    flags = workbook["Dấu hiệu bất thường"]
    head, _ = _find(flags, "Loại")
    if not report.flags:
        assert flags.cell(head + 1, 1).value == "Không có"
        return
    kinds = {"burst": "Đánh giá dồn dập", "too_perfect": "Toàn điểm tuyệt đối"}
    kinds["phantom_service"] = "Phục vụ quá ngắn"
    for i, flag in enumerate(report.flags, start=1):
        assert flags.cell(head + i, 1).value == kinds[flag.kind]
        assert flags.cell(head + i, 4).value == flag.count
        local = flag.first_at.astimezone(make_site().tz).replace(tzinfo=None)
        assert flags.cell(head + i, 5).value == local


def test_xlsx_of_the_dossiers(
    report: Report, dossiers: list[DossierRow], site: SiteConfig, workbook: openpyxl.Workbook
) -> None:
    assert "Hồ sơ" not in workbook.sheetnames  # a file of its own (a year is 300,000 cells)
    ws = openpyxl.load_workbook(io.BytesIO(dossiers_xlsx(report, dossiers, site)))["Hồ sơ"]
    head, _ = _find(ws, "Mã hồ sơ")
    assert [c.value for c in ws[head]] == [h[0] for h in DOSSIER_HEADERS]
    assert ws.max_row == head + len(dossiers)
    formula = ws.cell(head + len(dossiers) - 1, 1)
    assert formula.value == "=1+1" and formula.data_type == "s"  # text, never a formula
    day, at = ws.cell(head + len(dossiers) - 1, 8), ws.cell(head + len(dossiers) - 1, 9)
    assert day.value == datetime(2026, 9, 30) and day.number_format == "dd/mm/yyyy"
    assert at.value == time(23, 59) and at.number_format == "hh:mm"
    assert ws.cell(head + len(dossiers) - 1, 10).value == "Không hài lòng"
    assert ws.cell(head + len(dossiers) - 1, 11).value == 0


def test_xlsx_in_english(report: Report, dossiers: list[DossierRow], site: SiteConfig) -> None:
    t = official_table(report, site, "en", made_on=MADE_ON)
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(report, t, site, "en")))
    assert wb.sheetnames[:3] == ["Summary", "Official table", "By clerk"]
    texts = _texts(wb["Official table"])
    assert "Q3 2026" in texts and "HEAD OF THE UNIT" in texts
    conduct = _texts(wb["Conduct items"])
    assert "Reasons for dissatisfaction by clerk" in conduct
    assert "What was praised by service" in conduct and "Justice – Civil status" in conduct
    assert f"{site.letters.place}, 5 October 2026" in texts


# ---------------------------------------------------------------- CSV


def _read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("by", BY_VALUES)
def test_breakdown_csv_round_trips(report: Report, by: str) -> None:
    rows = _read_csv(report_csv(report, by, "vi"))
    assert len(rows) == 1 + len(report.by[by])
    header = rows[0]
    assert header[-len(FIGURE_COLUMNS) :] == [c.header("vi") for c in FIGURE_COLUMNS]
    for line, row in zip(rows[1:], report.by[by], strict=True):
        if by == "day":
            assert line[0] == f"{date.fromisoformat(row.key):%d/%m/%Y}"
        else:
            assert line[0] == row.label
        values = line[-len(FIGURE_COLUMNS) :]
        for column, text in zip(FIGURE_COLUMNS, values, strict=True):
            expected = column.value(row.figures, "vi")
            if expected is None:
                assert text == ""
            elif column.kind == "int":
                assert text == str(expected)
            elif column.kind in ("pct", "min"):
                assert "," not in text
                assert float(text) == pytest.approx(expected, abs=0.0051)  # 2 decimals
    for cell in (c for line in rows for c in line):
        assert unicodedata.is_normalized("NFC", cell)


def test_clerk_csv_keeps_vietnamese(report: Report) -> None:
    rows = _read_csv(report_csv(report, "clerk", "vi"))
    assert rows[0][:3] == ["Cán bộ", "Mã", "Xếp hạng"]
    assert rows[1][0] == "Nguyễn Thị Lan" and rows[2][0] == "Trần Văn Hùng"
    english = _read_csv(report_csv(report, "clerk", "en"))
    assert english[0][:3] == ["Clerk", "Code", "Rank"]
    with pytest.raises(ValueError, match="unknown breakdown"):
        report_csv(report, "hour", "vi")


def test_dossiers_csv(dossiers: list[DossierRow]) -> None:
    rows = _read_csv(dossiers_csv(dossiers, "vi"))
    assert rows[0] == [h[0] for h in DOSSIER_HEADERS]
    assert len(rows) == 1 + len(dossiers)
    odd, minus = rows[-2], rows[-1]
    assert odd[0] == "'=1+1" and minus[0] == "'-42"  # Excel must not evaluate them
    assert odd[3] == "Tư pháp – Hộ tịch" and unicodedata.is_normalized("NFC", odd[3])
    assert odd[5] == "Nguyễn Thị Lan" and unicodedata.is_normalized("NFC", odd[5])
    # 16:59 UTC is 23:59 in Hà Nội; 17:01 UTC is already the next local day
    assert (odd[7], odd[8]) == ("30/09/2026", "23:59")
    assert (minus[7], minus[8]) == ("01/10/2026", "00:01")
    assert odd[9:] == [
        "Không hài lòng",
        "0",
        "Rất không hài lòng",
        "",
        "Trả kết quả trễ hẹn; Xin chào",
        "Có",
        "Ki-ốt",
    ]
    assert minus[9:] == [""] * 7  # not rated
    english = _read_csv(dossiers_csv(dossiers[:3], "en"))
    assert english[0][0] == "Dossier code"


# ---------------------------------------------------------------- chart data


def test_trend_bucket_suits_the_period(site: SiteConfig) -> None:
    assert trend_by(make_report(site, month_period(2026, 11), compare=False)) == "day"
    assert trend_by(make_report(site, Q3, compare=False)) == "week"
    assert trend_by(make_report(site, year_period(2026), compare=False)) == "month"


def test_chart_data_is_the_report(report: Report, site: SiteConfig) -> None:
    data = chart_data(report, "vi", small_sample=site.rating.small_sample)
    trend = data["trend"]
    assert trend["by"] == "week"
    assert trend["keys"] == [r.key for r in report.by["week"]]
    assert trend["satisfaction_pct"] == [r.figures.satisfaction_pct for r in report.by["week"]]
    assert trend["target_pct"] == [95] * len(report.by["week"])
    assert trend["labels"][0] == "T27"
    clerks = data["clerks"]
    pcts = [p for p in clerks["satisfaction_pct"] if p is not None]
    assert pcts == sorted(pcts, reverse=True)
    by_key = {r.key: r.figures for r in report.by["clerk"]}
    for key, pct, small in zip(
        clerks["keys"], clerks["satisfaction_pct"], clerks["small_sample"], strict=True
    ):
        assert pct == by_key[key].satisfaction_pct and small == by_key[key].small_sample
    assert clerks["small_sample_label"] == "Mẫu nhỏ (< 30 phiếu)"
    reasons = data["reasons"]
    assert reasons["counts"] == sorted(
        (n for n in report.total.reasons.values() if n), reverse=True
    )
    assert reasons["cumulative_pct"][-1] == 100.0
    assert reasons["total"] == sum(report.total.reasons.values())
    assert data["praised"]["labels"][0] in {"Xin chào", "Xin phép", "Xin lỗi", "Xin cảm ơn"} | {
        "Luôn mỉm cười",
        "Luôn nhẹ nhàng",
        "Luôn lắng nghe",
        "Luôn sẵn lòng giúp đỡ",
    }
    heat = data["heatmap"]
    assert heat["hours"][0] <= 7 and heat["hours"][-1] >= 17
    assert heat["rows"] == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
    assert heat["max"] == max(max(r) for r in report.heatmap.arrivals)
    english = chart_data(report, "en")
    assert english["trend"]["labels"][0] == "W27" and english["heatmap"]["rows"][0] == "Mon"


def test_filters_are_named_on_every_sheet(site: SiteConfig) -> None:
    filtered = make_report(site, Q3, filters=Filters(service="dd", source="kiosk"), compare=False)
    table = official_table(filtered, site, made_on=MADE_ON)
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(filtered, table, site)))
    dossiers = openpyxl.load_workbook(io.BytesIO(dossiers_xlsx(filtered, [], site)))
    for sheet in (wb["Tổng hợp"], wb["Theo cán bộ"], dossiers["Hồ sơ"]):
        info = sheet.cell(3, 1).value
        assert "Lĩnh vực: Đất đai" in info and "Nguồn: Ki-ốt" in info, sheet.title
    summary = wb["Tổng hợp"]
    r, _ = _find(summary, "Tỷ lệ hài lòng (%)")
    assert summary.cell(r, 3).value is None and summary.cell(r, 5).value is None  # no comparison
