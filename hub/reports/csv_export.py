"""A report across offices as CSV: one level (office, group or province) a file, UTF-8
with a byte-order mark, as the office's CSV exports (`server.reports.csv_export`)."""

from __future__ import annotations

import csv
import io

from hub.reports.model import HubReport, Level
from hub.reports.tables import level_table
from server.reports.csv_export import BOM, text_cell
from server.reports.wording import nfc


def hub_csv(report: HubReport, level: Level, lang: str = "vi") -> bytes:
    table = level_table(report, level, lang)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([nfc(h) for h in table.headers(lang)])
    for row in table.rows(lang):
        writer.writerow([text_cell(v) for v in row])
    return (BOM + out.getvalue()).encode("utf-8")
