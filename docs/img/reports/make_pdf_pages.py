"""Render the pages of a realistic PDF report to report-page-N.png beside this file
(and with ``--xlsx`` two sheets of the workbook, as printed, to xlsx-*.png).

The report is the real pipeline: simulated history of the example office
(`server.simulation`, Q3 2025, Q2 and Q3 2026) in a throwaway SQLite database, then
`build_report`, the official table and `report_pdf` / `report_xlsx`; the pages are drawn
by poppler's ``pdftoppm`` (``apt-get install poppler-utils``), the workbook's sheets are
printed by LibreOffice (``apt-get install libreoffice-calc-nogui``). From the repository
root:

    .venv/bin/python docs/img/reports/make_pdf_pages.py [--lang en] [--dpi 80] [--xlsx]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl

from server.config import SiteConfig, load_site_config
from server.db.database import Database
from server.db.migrate import upgrade
from server.reports.figures import build_report
from server.reports.model import OfficialTable, Report
from server.reports.official import official_table
from server.reports.pdf import report_pdf
from server.reports.period import quarter_period
from server.reports.xlsx import report_xlsx
from server.simulation.bulk import bulk_history

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
PERIOD = quarter_period(2026, 3)
MADE_AT = datetime(2026, 10, 5, 2, 30, tzinfo=UTC)


def make_report(lang: str) -> tuple[Report, OfficialTable, SiteConfig]:
    config = load_site_config(ROOT / "config" / "site.example.yaml")
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/history.db", sqlite_synchronous="OFF")
        try:
            upgrade(db)
            for p in (PERIOD.last_year(), PERIOD.previous(), PERIOD):
                bulk_history(db, config, first=p.start, last=p.end, seed=7)
            with db.read() as s:
                report = build_report(s, config, PERIOD, now=MADE_AT)
        finally:
            db.dispose()
    table = official_table(report, config, lang, made_on=date(2026, 10, 5))
    return report, table, config


#: Sheets of the workbook shown in docs/reports.md.
SHEETS = {"xlsx-official": "Bảng đánh giá", "xlsx-clerks": "Theo cán bộ"}


def render_sheets(report: Report, table: OfficialTable, config: SiteConfig, dpi: int) -> None:
    """Each sheet alone in a workbook, printed to PDF by LibreOffice, first page → PNG."""
    if shutil.which("soffice") is None:
        raise SystemExit("soffice is missing: apt-get install libreoffice-calc-nogui")
    data = report_xlsx(report, table, config)
    with tempfile.TemporaryDirectory() as folder:
        for stem, name in SHEETS.items():
            wb = openpyxl.load_workbook(io.BytesIO(data))
            for ws in list(wb.worksheets):
                if ws.title != name:
                    wb.remove(ws)
            book = Path(folder) / f"{stem}.xlsx"
            wb.save(book)
            subprocess.run(
                ["soffice", "--headless", "--convert-to", "pdf", "--outdir", folder, str(book)],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    str(dpi),
                    "-png",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(Path(folder) / f"{stem}.pdf"),
                    str(HERE / stem),
                ],
                check=True,
            )
            print((HERE / f"{stem}.png").relative_to(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="vi", choices=["vi", "en"])
    parser.add_argument("--dpi", type=int, default=80)
    parser.add_argument("--xlsx", action="store_true", help="also the workbook's sheets")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm is missing: apt-get install poppler-utils")
    stem = "report-page" if args.lang == "vi" else "report-en-page"
    for old in HERE.glob(f"{stem}-*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "report.pdf"
        report, table, config = make_report(args.lang)
        pdf.write_bytes(report_pdf(report, table, config, args.lang))
        if args.xlsx:
            render_sheets(report, table, config, args.dpi)
        subprocess.run(
            ["pdftoppm", "-r", str(args.dpi), "-png", str(pdf), str(HERE / stem)], check=True
        )
    # pdftoppm pads page numbers (report-page-01.png when there are 10+ pages): drop it
    for png in sorted(HERE.glob(f"{stem}-*.png")):
        number = int(png.stem.rsplit("-", 1)[1])
        png.rename(HERE / f"{stem}-{number}.png")
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(HERE.glob(f"{stem}-*.png"))))


if __name__ == "__main__":
    main()
