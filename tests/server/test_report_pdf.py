"""The PDF report read back with poppler (pdftotext, pdffonts, pdftoppm): the words and
numbers are there, DejaVu is embedded, every page is numbered and none is blank. On a
report made by hand and on one `build_report` made from simulated history."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from server.config import SiteConfig
from server.reports.conduct_matrix import Kind, conduct_matrix
from server.reports.model import Report
from server.reports.official import official_table
from server.reports.pdf import report_pdf
from server.reports.pdf_charts import num
from server.reports.pdf_official import official_pdf
from server.reports.period import quarter_period
from server.reports.wording import item_label
from tests.support.citizens_data import hand_citizens
from tests.support.report_data import make_report, simulated_example
from tests.support.services import unavailable
from tests.support.sites import make_site

MADE_ON = date(2026, 10, 5)


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        unavailable(f"{tool} is missing: apt-get install poppler-utils")
    assert path is not None
    return path


def _run(*args: str | Path) -> str:
    return subprocess.run(
        [str(a) for a in args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


@pytest.fixture(scope="module")
def site() -> SiteConfig:
    return make_site()


@pytest.fixture(scope="module", params=["hand", "simulated"])
def report(request: pytest.FixtureRequest, site: SiteConfig) -> Report:
    q3 = quarter_period(2026, 3)
    if request.param == "hand":  # with what citizens wrote (the simulation has its own)
        made = make_report(site, q3)
        return made.model_copy(update={"citizens": hand_citizens(date(2026, 8, 12))})
    return simulated_example(q3.code)[0]


@pytest.fixture(scope="module")
def pdf_path(report: Report, site: SiteConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    table = official_table(report, site, made_on=MADE_ON)
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(report_pdf(report, table, site))
    return path


def _pages(path: Path) -> int:
    info = _run(_need("pdfinfo"), path)
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert match, info
    return int(match[1])


def test_pdf_text_has_the_office_period_clerks_and_totals(
    pdf_path: Path, report: Report, site: SiteConfig
) -> None:
    text = _run(_need("pdftotext"), "-layout", pdf_path, "-")
    assert "Quý III năm 2026" in text
    assert site.site.name in text and site.site.name.upper() in text
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in text
    assert "NGƯỜI LẬP BIỂU" in text and "THỦ TRƯỞNG ĐƠN VỊ" in text
    assert f"{site.letters.place}, ngày 05 tháng 10 năm 2026" in text
    for clerk in site.clerks:
        assert clerk.name in text
    table = official_table(report, site, made_on=MADE_ON)
    t = table.total
    totals = next(line for line in text.splitlines() if "Tổng cộng" in line)
    assert totals.split() == [
        "Tổng",
        "cộng",
        num(t.ratings, "vi", 0),
        num(t.very_satisfied, "vi", 0),
        num(t.satisfied, "vi", 0),
        num(t.dissatisfied, "vi", 0),
        num(t.satisfaction_pct, "vi", 1),
        t.grade,
    ]
    for row in table.rows:
        line = next(
            x for x in text.splitlines() if row.name in x and x.strip().startswith(str(row.no))
        )
        assert num(row.satisfaction_pct, "vi", 1) in line.split()
    # every page says which page of how many
    pages = _pages(pdf_path)
    footers = re.findall(r"Trang (\d+)/(\d+)", text)
    assert footers == [(str(i), str(pages)) for i in range(1, pages + 1)]


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("reasons", "Lý do không hài lòng theo cán bộ"),
        ("praised", "Điều được khen theo cán bộ"),
    ],
)
def test_pdf_has_conduct_items_per_clerk(
    pdf_path: Path, report: Report, site: SiteConfig, kind: Kind, title: str
) -> None:
    text = _run(_need("pdftotext"), "-layout", pdf_path, "-")
    assert text.count(title) == 1
    section = text[text.index(title) :]
    m = conduct_matrix(report, kind, "clerk")
    assert len(m.columns) == len(site.clerks)  # side by side in one table
    for clerk in site.clerks:  # the heads may wrap: each word of each name is there
        assert all(word in section for word in clerk.name.split())
    assert m.totals[0] > 0
    for i in (0, 1):  # the two most frequent items: every clerk's count, then the total
        label = item_label(m.codes[i], "vi")
        line = next(x for x in section.splitlines() if x.strip().startswith(label))
        counts = [num(n, "vi", 0) if n else "·" for n in [*m.counts[i], m.totals[i]]]
        assert line.split()[-len(counts) :] == counts, line


def test_pdf_embeds_dejavu_only(pdf_path: Path) -> None:
    fonts = _run(_need("pdffonts"), pdf_path).splitlines()[2:]
    names = {line.split()[0].split("+")[-1]: line.split() for line in fonts}
    assert set(names) == {"DejaVuSans", "DejaVuSans-Bold"}
    for cols in names.values():
        # name type encoding emb sub uni …: embedded, and with a ToUnicode map
        assert cols[-5:-2] == ["yes", "yes", "yes"], cols


def test_pdf_pages_render_and_are_not_blank(pdf_path: Path, tmp_path: Path) -> None:
    pages = _pages(pdf_path)
    assert 4 <= pages <= 10  # with a few pages of citizens' comments
    _run(_need("pdftoppm"), "-r", "70", "-png", pdf_path, tmp_path / "page")
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    sizes = set()
    for image in images:
        with Image.open(image) as im:
            grey = im.convert("L")
            sizes.add(tuple(sorted(grey.size)))
            dark = sum(grey.histogram()[:200])
            assert dark > 0.01 * grey.size[0] * grey.size[1], f"{image.name} is nearly blank"
    assert sizes == {(579, 819)}  # A4 at 70 dpi, portrait and landscape


def test_pdf_in_english(report: Report, site: SiteConfig, tmp_path: Path) -> None:
    table = official_table(report, site, "en", made_on=MADE_ON)
    path = tmp_path / "en.pdf"
    path.write_bytes(report_pdf(report, table, site, "en"))
    text = _run(_need("pdftotext"), "-layout", path, "-")
    assert "Q3 2026" in text and site.site.name_en in text
    assert "SUMMARY OF CITIZEN SATISFACTION RATINGS" in text
    assert re.search(r"Page 1/\d+", text)
    totals = next(line for line in text.splitlines() if line.strip().startswith("Total"))
    assert num(table.total.ratings, "en", 0) in totals.split()
    assert num(table.total.satisfaction_pct, "en", 1) in totals.split()


def test_numbers_are_written_the_vietnamese_way() -> None:
    assert num(3391, "vi", 0) == "3.391" and num(3391, "en", 0) == "3,391"
    assert num(97.44, "vi") == "97,4" and num(97.44, "en") == "97.4"
    assert num(2119.375, "vi") == "2.119,4"
    assert num(None, "vi") == "—"


def test_official_table_alone_is_one_signed_page(
    report: Report, site: SiteConfig, tmp_path: Path
) -> None:
    table = official_table(report, site, made_on=MADE_ON)
    path = tmp_path / "official.pdf"
    path.write_bytes(official_pdf(table, site, 2026))
    assert _pages(path) == 1
    text = _run(_need("pdftotext"), "-layout", path, "-")
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ SỰ HÀI LÒNG" in text and "Quý III năm 2026" in text
    assert "Mục tiêu năm 2026: 95 % hài lòng" in text and "Trang 1/1" in text
    for row in table.rows:
        assert row.name in text
    assert "THỦ TRƯỞNG ĐƠN VỊ" in text
