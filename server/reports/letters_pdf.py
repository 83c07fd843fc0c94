"""The letters printed from the clerk console, as A4 PDFs: "Phiếu xin lỗi và hẹn lại ngày
trả kết quả" (TT 01/2018/TT-VPCP, Mẫu 04: a result returned late) and "Thư cảm ơn".

Laid out as a Vietnamese administrative document: the issuing unit at the top left, the
national heading at the top right, place and date, the title, "Kính gửi", the body from
the office's template (``letters:`` in the site YAML) and the signature block. Everything
the clerk typed is escaped before it reaches reportlab's paragraph markup.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from server.config import LetterSettings
from server.reports.pdf_fonts import BOLD, register_fonts

LetterKind = Literal["apology", "thanks"]

TITLES: dict[str, str] = {
    "apology": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "thanks": "THƯ CẢM ƠN",
}
TITLES_EN: dict[str, str] = {
    "apology": "Apology and new date for the result",
    "thanks": "Thank-you letter",
}
#: The placeholders a template may use; anything else in braces is printed as typed.
PLACEHOLDERS = ("office", "dossier_code", "service", "reason", "new_date", "date")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
#: Values printed in bold inside the body.
_BOLD_VALUES = frozenset({"dossier_code", "new_date"})


@dataclass(frozen=True)
class LetterText:
    """What a letter says (from its stored row and the site configuration)."""

    kind: LetterKind
    office: str
    day: date
    dossier_code: str
    reason: str
    signer_title: str
    signer_name: str
    service: str = ""
    new_date: date | None = None


def dmy(day: date) -> str:
    """dd/mm/yyyy, as Vietnamese documents write a date."""
    return day.strftime("%d/%m/%Y")


def place_and_date(place: str, day: date) -> str:
    """ "Gia Lộc, ngày 02 tháng 12 năm 2026" (without a place: "Ngày 02 tháng 12 …")."""
    when = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    return f"{place}, {when}" if place.strip() else when[:1].upper() + when[1:]


def _markup(text: str) -> str:
    """Plain text as paragraph markup: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


def fill(template: str, values: Mapping[str, str]) -> str:
    """The template as paragraph markup with its placeholders filled: every piece, the
    office's wording and the clerk's input alike, is escaped; unknown braces stay."""
    out: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        out.append(_markup(template[last : m.start()]))
        key = m.group(1)
        if key in values:
            value = _markup(values[key])
            out.append(f"<b>{value}</b>" if key in _BOLD_VALUES and value else value)
        else:
            out.append(_markup(m.group(0)))
        last = m.end()
    out.append(_markup(template[last:]))
    return "".join(out)


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=12, leading=17)
    return {
        "unit": ParagraphStyle("unit", base, fontSize=10.5, leading=14, alignment=TA_CENTER),
        "unit_b": ParagraphStyle(
            "unit_b", base, fontName=BOLD, fontSize=10.5, leading=14, alignment=TA_CENTER
        ),
        "nation": ParagraphStyle(
            "nation", base, fontName=BOLD, fontSize=10.5, leading=14, alignment=TA_CENTER
        ),
        "motto": ParagraphStyle(
            "motto", base, fontName=BOLD, fontSize=11.5, leading=15, alignment=TA_CENTER
        ),
        "date": ParagraphStyle("date", base, fontSize=11.5, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=14, leading=19, alignment=TA_CENTER
        ),
        "to": ParagraphStyle("to", base, alignment=TA_CENTER, spaceBefore=8),
        "body": ParagraphStyle(
            "body", base, alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=5
        ),
        "sign": ParagraphStyle("sign", base, fontName=BOLD, alignment=TA_CENTER),
        "sign_note": ParagraphStyle("sign_note", base, fontSize=10.5, alignment=TA_CENTER),
    }


def letter_pdf(letter: LetterText, settings: LetterSettings) -> bytes:
    """The letter as an A4 PDF (one page for any text the API accepts)."""
    font = register_fonts()
    st = _styles(font)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=30 * mm,  # Nghị định 30/2020: 30–35 mm left, 15–20 mm right
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=20 * mm,
        title=f"{TITLES[letter.kind].capitalize()} – {letter.dossier_code}",
        author=letter.office,
        subject=TITLES_EN[letter.kind],
        creator="motcua",
    )
    width = A4[0] - doc.leftMargin - doc.rightMargin
    left_w = width * 0.42

    def rule(w: float) -> HRFlowable:
        return HRFlowable(width=w, thickness=0.6, color="black", spaceBefore=5, spaceAfter=1)

    left = [
        Paragraph(_markup(settings.parent_unit.upper()), st["unit"])
        if settings.parent_unit.strip()
        else Spacer(1, 0),
        Paragraph(_markup(letter.office.upper()), st["unit_b"]),
        rule(22 * mm),
    ]
    right = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st["nation"]),
        Paragraph("Độc lập - Tự do - Hạnh phúc", st["motto"]),
        rule(46 * mm),
        Spacer(1, 4 * mm),
        Paragraph(_markup(place_and_date(settings.place, letter.day)), st["date"]),
    ]
    head = Table([[left, right]], colWidths=[left_w, width - left_w])
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    values = {
        "office": letter.office,
        "dossier_code": letter.dossier_code,
        "service": letter.service,
        "reason": letter.reason,
        "new_date": dmy(letter.new_date) if letter.new_date else "",
        "date": dmy(letter.day),
    }
    template = settings.apology_body if letter.kind == "apology" else settings.thanks_body
    # One paragraph per line of the template (line breaks typed in a value stay inside).
    lines = [line for line in template.splitlines() if line.strip()]
    body = [Paragraph(fill(line, values), st["body"]) for line in lines]
    sign_w = width * 0.5
    signature = Table(
        [
            [
                "",
                [
                    Paragraph(_markup(letter.signer_title.upper()), st["sign"]),
                    Paragraph("(Ký, ghi rõ họ tên)", st["sign_note"]),
                    Spacer(1, 24 * mm),
                    Paragraph(_markup(letter.signer_name), st["sign"]),
                ],
            ]
        ],
        colWidths=[width - sign_w, sign_w],
    )
    signature.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [
        head,
        Spacer(1, 12 * mm),
        Paragraph(TITLES[letter.kind], st["title"]),
        Paragraph(
            f"Kính gửi: Ông/Bà có hồ sơ mã số <b>{_markup(letter.dossier_code)}</b>",
            st["to"],
        ),
        Spacer(1, 6 * mm),
        *body,
        Spacer(1, 8 * mm),
        KeepTogether([signature]),
    ]
    doc.build(story)
    return buf.getvalue()
