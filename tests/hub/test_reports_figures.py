"""The reports across offices on a real PostgreSQL hub database: three offices' history
from the project's generator, two groups. Each office's figures on the hub are the
figures its own report code computes from its own database; the group and province
totals are the sums (satisfaction from the summed counts); an office supervisor's
exports hold their office only; the workbook opens with openpyxl, in Vietnamese."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from hub.reports.compute import build_hub_report
from hub.reports.files import file_name, hub_file, official_of
from hub.reports.model import HubReport
from hub.reports.warm import warm_offices
from server.db.tables import ReportDayRow
from server.reports.figures import build_report
from server.reports.model import Figures
from server.reports.official import official_table
from server.reports.period import parse_period
from tests.hub.reports_data import HUB, NOW, OFFICES, PERIOD, SILENT, Province, province

pytestmark = pytest.mark.postgres
P = parse_period(PERIOD)
GROUPS = {"Cụm Gia Lộc": ["gialoc", "giaxuyen"], "Cụm Tứ Kỳ": ["tuky", SILENT[0]]}


@pytest.fixture(scope="module")
def prov() -> Iterator[Province]:
    with province() as p:
        yield p


@pytest.fixture(scope="module")
def report(prov: Province) -> HubReport:
    return build_hub_report(prov.hub, HUB, P, now=NOW)


def office_alone(prov: Province, code: str) -> Figures:
    """What the office's own report code computes from the office's own database."""
    cfg, own = prov.offices[code]
    with own.read() as s:
        return build_report(s, cfg, P, compare=False, by=("clerk",), now=NOW).total


def test_each_office_on_the_hub_has_the_figures_of_its_own_report(
    prov: Province, report: HubReport
) -> None:
    lines = {o.code: o for o in report.offices}
    assert set(lines) == {c for c, *_ in OFFICES} | {SILENT[0]}
    for code, *_ in OFFICES:
        alone = office_alone(prov, code)
        assert alone.ratings > 100 and alone.served > alone.ratings / 2
        assert lines[code].figures == alone, code
        assert lines[code].configured
    silent = lines[SILENT[0]]
    assert not silent.configured and silent.figures.issued == 0 and silent.rank is None


def test_the_offices_are_ranked_by_satisfaction(report: HubReport) -> None:
    pcts = [o.figures.satisfaction_pct for o in report.offices if o.rank is not None]
    assert pcts == sorted(pcts, reverse=True)
    assert [o.rank for o in report.offices] == [1, 2, 3, None]
    assert report.offices[-1].code == SILENT[0]


def _sum(lines: list[Figures], get: str) -> int:
    return sum(int(getattr(f, get)) for f in lines)


def _check_sums(total: Figures, parts: list[Figures]) -> None:
    for count in ("issued", "served", "no_show", "transferred", "cancelled", "carried_over"):
        assert getattr(total, count) == _sum(parts, count), count
    for count in ("ratings", "satisfied", "partial"):
        assert getattr(total, count) == _sum(parts, count), count
    for level in ("very_satisfied", "satisfied", "dissatisfied"):
        assert total.levels[level] == sum(f.levels.get(level, 0) for f in parts)
    praised = {k: sum(f.praised.get(k, 0) for f in parts) for k in total.praised}
    assert total.praised == praised and sum(praised.values()) > 0
    reasons = {k: sum(f.reasons.get(k, 0) for f in parts) for k in total.reasons}
    assert total.reasons == reasons and sum(reasons.values()) > 0
    assert total.satisfaction_pct == round(100 * total.satisfied / total.ratings, 1)
    assert total.response_rate_pct == round(100 * total.ratings / total.served, 1)
    assert total.wait.count == sum(f.wait.count for f in parts)
    assert total.idle_while_waiting_s == pytest.approx(
        sum(f.idle_while_waiting_s for f in parts), abs=0.2
    )
    assert total.target_pct == 95 and total.meets_target == (total.satisfaction_pct >= 95)


def test_group_and_province_totals_are_sums_with_satisfaction_from_the_summed_counts(
    report: HubReport,
) -> None:
    by_code = {o.code: o.figures for o in report.offices}
    assert report.groups is not None and report.province is not None
    groups = {g.name: g for g in report.groups}
    assert {g: sorted(line.offices) for g, line in groups.items()} == {
        g: sorted(c) for g, c in GROUPS.items()
    }
    for name, codes in GROUPS.items():
        _check_sums(groups[name].figures, [by_code[c] for c in codes])
    _check_sums(report.province, list(by_code.values()))
    # not an average of the offices' percentages (the offices differ in size)
    mean = statistics.mean(
        f.satisfaction_pct for f in by_code.values() if f.satisfaction_pct is not None
    )
    assert report.province.satisfaction_pct != round(mean, 1)
    pcts = [g.figures.satisfaction_pct for g in report.groups]
    assert pcts == sorted(pcts, reverse=True) and report.groups[0].rank == 1


def test_the_province_median_wait_is_that_of_every_visit(prov: Province, report: HubReport) -> None:
    """The median and P90 are recomputed from the pooled visits, here straight from the
    hub's rows."""
    with prov.hub.read() as s:
        waits = s.execute(
            text(
                "SELECT EXTRACT(EPOCH FROM called_at - issued_at)::float FROM tickets "
                "WHERE state = 'done' AND called_at IS NOT NULL "
                "AND day BETWEEN :a AND :b"
            ),
            {"a": P.start, "b": P.end},
        ).scalars()
        values = list(waits)
    assert report.province is not None
    assert report.province.wait.count == len(values)
    assert report.province.wait.median_s == pytest.approx(statistics.median(values), abs=0.051)


def test_the_official_table_of_an_office_is_the_offices_own(prov: Province) -> None:
    for code, *_ in OFFICES:
        cfg, own = prov.offices[code]
        with own.read() as s:
            r = build_report(s, cfg, P, compare=False, by=("clerk",), now=NOW)
        alone = official_table(r, cfg, "vi", made_on=NOW.date())
        on_hub = official_of(prov.hub, HUB, P, code, "vi", now=NOW)
        assert on_hub is not None and on_hub[1].site == cfg.site
        assert on_hub[0].table.rows == alone.rows
        assert on_hub[0].table.total == alone.total
        assert on_hub[0].table.title == "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG"
    assert official_of(prov.hub, HUB, P, SILENT[0], now=NOW) is None
    assert official_of(prov.hub, HUB, P, "nowhere", now=NOW) is None


def test_an_office_supervisor_sees_only_their_office(prov: Province) -> None:
    mine = build_hub_report(prov.hub, HUB, P, scope="giaxuyen", now=NOW)
    assert [o.code for o in mine.offices] == ["giaxuyen"]
    assert mine.groups is None and mine.province is None
    # asking for other offices changes nothing
    other = build_hub_report(prov.hub, HUB, P, ["gialoc", "tuky"], scope="giaxuyen", now=NOW)
    assert other.offices == []

    body, _ = hub_file(prov.hub, HUB, P, "csv", scope="giaxuyen", level="province", now=NOW)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Xếp hạng", "Mã", "Đơn vị", "Cụm"]
    assert [r[1] for r in rows[1:]] == ["giaxuyen"]

    body, _ = hub_file(prov.hub, HUB, P, "xlsx", scope="giaxuyen", now=NOW)
    wb = load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["Theo đơn vị", "BĐG giaxuyen"]
    cells = " ".join(
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c
    )
    for code, name, *_ in OFFICES:
        if code != "giaxuyen":
            assert code not in cells and name not in cells
    assert "Cụm Tứ Kỳ" not in cells
    assert file_name(P, "xlsx", scope="giaxuyen") == "bao-cao-giaxuyen-2026-08.xlsx"


def test_the_workbook_opens_with_vietnamese_headers_and_the_figures(
    prov: Province, report: HubReport
) -> None:
    body, made = hub_file(prov.hub, HUB, P, "xlsx", now=NOW)
    assert made == report
    wb = load_workbook(io.BytesIO(body))
    codes = [c for c, *_ in OFFICES]
    assert wb.sheetnames == ["Theo đơn vị", "Theo cụm", "Toàn tỉnh"] + [
        f"BĐG {o.code}" for o in report.offices if o.configured
    ]
    ws = wb["Theo đơn vị"]
    head = [c.value for c in ws[4]]
    assert head[:6] == ["Xếp hạng", "Mã", "Đơn vị", "Cụm", "Số lượt lấy số", "Đã phục vụ"]
    col = {h: i for i, h in enumerate(head)}
    lines = {row[1]: row for row in ws.iter_rows(min_row=5, max_row=8, values_only=True)}
    for o in report.offices:
        line = lines[o.code]
        assert line[col["Số lượt lấy số"]] == o.figures.issued
        assert line[col["Tỷ lệ hài lòng (%)"]] == o.figures.satisfaction_pct
        assert line[0] == o.rank
    assert ws.freeze_panes == "E5"
    groups = wb["Theo cụm"]
    assert [c.value for c in groups[4]][:3] == ["Xếp hạng", "Cụm", "Số đơn vị"]
    province_ws = wb["Toàn tỉnh"]
    figures = {r[0]: r[1] for r in province_ws.iter_rows(min_row=5, values_only=True) if r[0]}
    assert report.province is not None
    assert figures["Số phiếu đánh giá"] == report.province.ratings
    assert figures["Tỷ lệ hài lòng (%)"] == report.province.satisfaction_pct
    official = wb[f"BĐG {codes[0]}"]
    texts = [c for row in official.iter_rows(values_only=True) for c in row if c]
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in texts
    assert "Họ và tên cán bộ" in texts and "Tỷ lệ % hài lòng" in texts


def test_the_csv_of_each_level(prov: Province, report: HubReport) -> None:
    for level, first in (("office", "Xếp hạng"), ("group", "Xếp hạng"), ("province", "Đơn vị")):
        body, _ = hub_file(prov.hub, HUB, P, "csv", level=level, now=NOW)
        assert body.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows[0][0] == first and "Tỷ lệ hài lòng (%)" in rows[0]
        assert len(rows) - 1 == {"office": 4, "group": 2, "province": 1}[level]
    assert report.province is not None
    sat = rows[0].index("Tỷ lệ hài lòng (%)")
    assert float(rows[1][sat]) == report.province.satisfaction_pct


def test_the_warmer_builds_every_configured_offices_roll_ups(prov: Province) -> None:
    warm_offices(prov.hub, 3 * 366)  # the history is in the past year or so
    with prov.hub.read() as s:
        sites = dict(
            s.execute(select(ReportDayRow.site, func.count()).group_by(ReportDayRow.site)).all()
        )
    assert set(sites) == {c for c, *_ in OFFICES}
    assert warm_offices(prov.hub, 3 * 366) == 0  # nothing stale
