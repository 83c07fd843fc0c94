"""The office's letters printed from the console: who signs, and the wording of the
apology (TT 01/2018 Mẫu 04) and the thank-you letter.

Apart from the rest because it is the office's own prose, edited by people who never
touch the other sections.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from protocol.text import ShortText
from server.config.base import FrozenModel


class LetterSettings(FrozenModel):
    """The office's letters printed from the console (TT 01/2018 Mẫu 04 and a thank-you).

    The wording is the office's to edit; ``{placeholders}`` are filled in: ``office``,
    ``dossier_code``, ``service``, ``reason``, ``new_date`` (dd/mm/yyyy), ``date``."""

    #: Who signs (e.g. "Trưởng Bộ phận Một cửa"); the clerk may change it per letter.
    signer_title: ShortText = "Trưởng Bộ phận Một cửa"
    signer_name: ShortText = ""
    #: The unit above the office, printed at the top left (e.g. "UBND TỈNH HẢI PHÒNG").
    parent_unit: ShortText = ""
    place: ShortText = ""
    apology_body: Annotated[str, StringConstraints(max_length=3000)] = (
        "{office} xin gửi lời xin lỗi tới Quý ông/bà vì hồ sơ mã số {dossier_code} "
        "đã bị giải quyết chậm so với ngày hẹn trả kết quả.\n"
        "Lý do chậm trễ: {reason}\n"
        "Chúng tôi xin hẹn trả kết quả vào ngày {new_date}.\n"
        "Rất mong Quý ông/bà thông cảm và mong tiếp tục nhận được sự hợp tác."
    )
    thanks_body: Annotated[str, StringConstraints(max_length=3000)] = (
        "{office} trân trọng cảm ơn Quý ông/bà đã tin tưởng và đóng góp ý kiến "
        "trong quá trình giải quyết hồ sơ mã số {dossier_code}.\n"
        "{reason}\n"
        "Những ý kiến của Quý ông/bà giúp chúng tôi phục vụ ngày càng tốt hơn."
    )
