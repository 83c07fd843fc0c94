"""The letters as PDFs, read back with poppler as an office computer shows
them: the national heading, the title, the dossier code exactly, the dates as Vietnamese
write them, the clerk's text printed as typed (never as markup), one A4 page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from server.config import LetterSettings, SiteConfig
from server.reports.letters_pdf import LetterText, fill, letter_pdf, place_and_date
from tests.support.poppler import pdf_pages, pdf_text

CODE = "000.00.25.H23-261105-0012"
DAY = date(2026, 12, 2)


def _flat(pdf: bytes) -> str:
    """The text with line breaks and runs of blanks as single spaces."""
    return " ".join(pdf_text(pdf).split())


def _apology(site: SiteConfig, **change: object) -> LetterText:
    values: dict[str, object] = {
        "kind": "apology",
        "office": site.site.name,
        "day": DAY,
        "dossier_code": CODE,
        "reason": "chờ ý kiến <b>Phòng Nông nghiệp & Môi trường</b> về nguồn gốc đất",
        "signer_title": "Trưởng Bộ phận Một cửa",
        "signer_name": "Nguyễn Văn Bình",
        "service": "Đất đai",
        "new_date": date(2026, 12, 9),
    }
    values.update(change)
    return LetterText(**values)  # type: ignore[arg-type]


def test_the_apology_slip_reads_as_the_official_form(site: SiteConfig, tmp_path: Path) -> None:
    pdf = letter_pdf(_apology(site), site.letters)
    assert pdf.startswith(b"%PDF")
    text = _flat(pdf)
    for expected in (
        "UBND HUYỆN GIA LỘC",
        "BỘ PHẬN MỘT CỬA UBND HUYỆN GIA LỘC",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Gia Lộc, ngày 02 tháng 12 năm 2026",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        f"Kính gửi: Ông/Bà có hồ sơ mã số {CODE}",
        f"vì hồ sơ mã số {CODE} đã bị giải quyết chậm",
        "Lý do chậm trễ: chờ ý kiến <b>Phòng Nông nghiệp & Môi trường</b> về nguồn gốc đất",
        "Chúng tôi xin hẹn trả kết quả vào ngày 09/12/2026.",
        "TRƯỞNG BỘ PHẬN MỘT CỬA",
        "(Ký, ghi rõ họ tên)",
        "Nguyễn Văn Bình",
    ):
        assert expected in text, (expected, text)
    pages = pdf_pages(pdf, tmp_path, dpi=60)
    assert len(pages) == 1
    assert pages[0].stat().st_size > 5000, "a page with text on it"


def test_the_thank_you_letter(site: SiteConfig) -> None:
    letter = _apology(site, kind="thanks", new_date=None, reason="Cảm ơn ông/bà đã góp ý.")
    text = _flat(letter_pdf(letter, site.letters))
    assert "THƯ CẢM ƠN" in text and "PHIẾU XIN LỖI" not in text
    assert f"giải quyết hồ sơ mã số {CODE}." in text
    assert "Cảm ơn ông/bà đã góp ý." in text


def test_the_longest_letter_the_api_takes_fits_one_page_uncut(
    site: SiteConfig, tmp_path: Path
) -> None:
    reason = ("Hồ sơ phải lấy thêm ý kiến của nhiều cơ quan chuyên môn có liên quan; " * 8)[
        :490
    ] + " HẾT-LÝ-DO"
    letter = _apology(
        site,
        dossier_code="H" * 20 + "-" + "9" * 19,
        reason=reason,
        signer_title="Phó Chủ tịch Ủy ban nhân dân xã phụ trách khối nội chính",
        signer_name="Nguyễn Thị Phương Thảo Hoàng Anh Tuấn Kiệt",
    )
    settings = site.letters.model_copy(update={"place": "Xã Gia Lộc, thành phố Hải Phòng"})
    pdf = letter_pdf(letter, settings)
    text = _flat(pdf)
    assert "H" * 20 + "-" + "9" * 19 in text
    assert "HẾT-LÝ-DO" in text, "the end of the reason is printed"
    assert "Nguyễn Thị Phương Thảo Hoàng Anh Tuấn Kiệt" in text
    assert "Xã Gia Lộc, thành phố Hải Phòng, ngày 02 tháng 12 năm 2026" in text
    assert len(pdf_pages(pdf, tmp_path, dpi=60)) == 1


def test_an_office_template_fills_known_placeholders_and_escapes_everything() -> None:
    values = {"office": "UBND xã A & B", "dossier_code": "HS-1", "reason": "<i>x</i>\ny"}
    got = fill("{office}: {dossier_code} – {reason} {unknown} {0} <b>", values)
    assert got == (
        "UBND xã A &amp; B: <b>HS-1</b> – &lt;i&gt;x&lt;/i&gt;<br/>y {unknown} {0} &lt;b&gt;"
    )


@pytest.mark.parametrize(
    ("place", "expected"),
    [("Gia Lộc", "Gia Lộc, ngày 02 tháng 12 năm 2026"), ("  ", "Ngày 02 tháng 12 năm 2026")],
)
def test_place_and_date(place: str, expected: str) -> None:
    assert place_and_date(place, DAY) == expected


def test_an_office_without_parent_unit_or_signer_name_still_prints(site: SiteConfig) -> None:
    settings = LetterSettings(apology_body="{office} hẹn ngày {new_date} cho {service}.")
    text = _flat(letter_pdf(_apology(site, signer_name=""), settings))
    assert "hẹn ngày 09/12/2026 cho Đất đai." in text
    assert "UBND XÃ" not in text and "PHIẾU XIN LỖI" in text
