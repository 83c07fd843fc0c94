"""CSV exports: one breakdown of a report, what citizens wrote ("Ý kiến của công dân":
comments and suggestions, with the contacts — a supervisor's download), or the
per-dossier lines.

UTF-8 with a byte-order mark (so Excel opens Vietnamese correctly), comma-separated,
CRLF line ends; numbers unformatted with "." decimals (times in minutes, two decimals),
days dd/mm/yyyy, times HH:MM (24 h, site time). Text is NFC; a text cell that Excel
would take for a formula (``=``, ``+``, ``-``, ``@``) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, time

from server.config import SiteConfig
from server.reports.citizens_cells import HEADERS as CITIZEN_HEADERS
from server.reports.citizens_cells import citizen_lines, more_lines
from server.reports.columns import CODE, FIGURE_COLUMNS, RANK, has_code, has_rank, key_header
from server.reports.columns import row_label as _row_label
from server.reports.dossiers import DOSSIER_HEADERS, DossierRow, dossier_cells
from server.reports.model import Report
from server.reports.wording import nfc, pick

BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: object) -> str:
    """One value as CSV text (see the module's rules)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    text = nfc(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([nfc(h) for h in header])
    for row in rows:
        writer.writerow([text_cell(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")


def report_csv(report: Report, by: str, lang: str = "vi") -> bytes:
    """One breakdown (``by`` = clerk, desk, service, day, week or month), a line each."""
    if by not in report.by:
        raise ValueError(f"unknown breakdown {by!r} (known: {', '.join(report.by)})")
    header = [key_header(by, lang)]
    if has_code(by):
        header.append(pick(CODE, lang))
    if has_rank(by):
        header.append(pick(RANK, lang))
    header += [c.header(lang) for c in FIGURE_COLUMNS]

    def lines() -> Iterable[list[object]]:
        for row in report.by[by]:
            line: list[object] = [_row_label(row, by, lang)]
            if has_code(by):
                line.append(row.key)
            if has_rank(by):
                line.append(row.rank)
            line += [c.value(row.figures, lang) for c in FIGURE_COLUMNS]
            yield line

    return _csv(header, lines())


def citizens_csv(report: Report, config: SiteConfig, lang: str = "vi") -> bytes:
    """One line per comment given with a rating and per suggestion; a list the report
    had to cut ends with a "… và 12 ý kiến khác" line."""
    lines: list[list[object]] = citizen_lines(report, config, lang)
    lines += [[text] for text in more_lines(report, lang)]
    return _csv([pick(h, lang) for h in CITIZEN_HEADERS], lines)


def dossiers_csv(rows: list[DossierRow], lang: str = "vi") -> bytes:
    """The per-dossier lines (for the provincial one-stop system)."""
    return _csv([pick(h, lang) for h in DOSSIER_HEADERS], (dossier_cells(r, lang) for r in rows))
