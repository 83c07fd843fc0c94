"""The wording of the citizen's phone page (``/t/{id}``), Vietnamese first, English second.

A catalog of its own (`protocol.i18n.Catalog`), apart from the staff pages'
(`server.web.i18n`): the page's script gets all of it in the page's language, and the
rating API answers refusals with both sentences from here.
"""

from __future__ import annotations

from typing import Any

from protocol.conduct import CONDUCT_ITEMS, MISSED_LABELS, RAW_LEVEL_LABELS, Group, RawLevel
from protocol.i18n import Catalog, Lang

PHONE = Catalog(
    {
        "title": ("Theo dõi lượt", "Follow your number"),
        "your_number": ("Số của ông/bà", "Your number"),
        "priority": ("Ưu tiên", "Priority"),
        "waiting": ("Đang chờ đến lượt", "Waiting for your turn"),
        "ahead": ("Còn {n} người trước ông/bà", "{n} people ahead of you"),
        "ahead_one": ("Còn 1 người trước ông/bà", "1 person ahead of you"),
        "next": ("Ông/bà là người tiếp theo", "You are next"),
        "eta": ("Dự kiến chờ khoảng {m} phút", "Estimated wait: about {m} min"),
        "called": ("Mời ông/bà đến Quầy {n}", "Please go to desk {n}"),
        "called_at": ("Gọi lúc {t}", "Called at {t}"),
        "recalled": ("Đã gọi lại {n} lần", "Called again {n} times"),
        "serving": ("Đang được phục vụ tại Quầy {n}", "Being served at desk {n}"),
        "done": ("Đã hoàn thành lượt phục vụ", "Your visit is finished"),
        "no_show": (
            "Ông/bà không có mặt khi được gọi. Nếu vẫn cần, hãy báo cán bộ hướng dẫn.",
            "You were not there when called. If you still need the service, ask the staff.",
        ),
        "cancelled": ("Số này đã bị hủy", "This number was cancelled"),
        "transferred": ("Đã chuyển sang {s}", "Moved to {s}"),
        "transferred_end": ("Lượt này đã được chuyển", "This visit was transferred"),
        "pending": (
            "Số của ông/bà chưa về đến máy chủ (máy lấy số đang mất kết nối). "
            "Ông/bà vẫn giữ nguyên lượt; trang sẽ tự cập nhật.",
            "Your number has not reached the server yet (the kiosk is offline). "
            "You keep your place; this page will update by itself.",
        ),
        "alert_on": ("Bật chuông và rung khi đến lượt", "Ring and vibrate when it is my turn"),
        "alert_ready": ("Đã bật chuông và rung", "Ring and vibration are on"),
        "live": ("Đang cập nhật trực tiếp", "Live"),
        "polling": ("Đang cập nhật định kỳ", "Updating every few seconds"),
        "offline": ("Mất kết nối – đang thử lại…", "Connection lost – retrying…"),
        "updated": ("Cập nhật lúc {t}", "Updated at {t}"),
        "rate_title": (
            "Ông/bà có hài lòng với thái độ phục vụ của cán bộ không?",
            "How satisfied are you with the clerk's service?",
        ),
        "praise_title": (
            "Cán bộ đã làm tốt điều gì? (không bắt buộc)",
            "What did the clerk do well? (optional)",
        ),
        "reasons_title": (
            "Ông/bà chưa hài lòng vì sao? (chọn một hoặc nhiều ý)",
            "What was wrong? (choose one or more)",
        ),
        "comment": (
            "Ý kiến khác (không bắt buộc, tối đa 500 ký tự)",
            "Other comments (optional, at most 500 characters)",
        ),
        "send": ("Gửi đánh giá", "Send"),
        "sending": ("Đang gửi…", "Sending…"),
        "change_level": ("Chọn lại mức", "Change the level"),
        "rate_until": ("Có thể đánh giá đến {t}", "You may rate until {t}"),
        "thanks": ("Cảm ơn ông/bà đã đánh giá", "Thank you for your rating"),
        "expired": (
            "Đã hết thời gian đánh giá lượt này ({m} phút sau khi phục vụ xong).",
            "The time to rate this visit has passed ({m} min after it ended).",
        ),
        "nothing_to_rate": ("Lượt này không có gì để đánh giá", "There is nothing to rate"),
        "other_lang": ("English", "Tiếng Việt"),
        "noscript": (
            "Hãy bật JavaScript để theo dõi lượt.",
            "Please turn JavaScript on to follow your number.",
        ),
        # the not-found page (a malformed address)
        "not_found_title": ("Không tìm thấy trang", "Page not found"),
        "not_found": (
            "Địa chỉ này không đúng mã phiếu số thứ tự. Hãy quét lại mã QR in trên phiếu.",
            "This address is not a valid ticket code. Scan the QR code on your ticket again.",
        ),
        # refusals of the rating form and of the API
        "err_network": ("Không gửi được: hãy thử lại", "Could not send: please try again"),
        "err_not_found": ("Không tìm thấy số này", "No such ticket"),
        "err_type": (
            "Yêu cầu phải gửi dạng JSON (application/json)",
            "The request must be JSON (application/json)",
        ),
        "err_too_large": ("Nội dung gửi quá dài", "The request is too large"),
        "err_json": ("Nội dung gửi không đọc được", "The request could not be read"),
        "err_invalid": (
            "Đánh giá không hợp lệ: hãy tải lại trang và thử lại",
            "Invalid rating ({d}): reload the page and try again",
        ),
        "err_comment": (
            "Ý kiến dài quá 500 ký tự hoặc có ký tự không hợp lệ: hãy sửa lại",
            "The comment is over 500 characters or has characters not allowed: please correct it",
        ),
        "err_too_many": (
            "Gửi quá nhiều lần: hãy thử lại sau {s} giây",
            "Too many attempts: try again in {s} s",
        ),
        "err_already_rated": ("Lượt này đã được đánh giá", "This visit is already rated"),
        "err_not_done": (
            "Chỉ đánh giá được sau khi phục vụ xong",
            "You can rate only once the visit is finished",
        ),
        "err_window": (
            "Đã hết thời gian đánh giá lượt này",
            "The time to rate this visit has passed",
        ),
        "err_level": (
            "Mức đánh giá này không được dùng tại đơn vị",
            "This level is not used at this office",
        ),
        "err_refused": ("Không nhận được đánh giá này", "This rating cannot be taken"),
        "err_conflict": (
            "Mã gửi này đã dùng cho một đánh giá khác",
            "This submission id was already used for another rating",
        ),
        "err_pending": (
            "Số này chưa về đến máy chủ: chưa đánh giá được",
            "This number has not reached the server yet: it cannot be rated",
        ),
    }
)


def phone_strings(lang: Lang) -> dict[str, str]:
    """Every text of the page in ``lang`` (placeholders left for the script)."""
    return {key: PHONE[key].in_(lang) for key in PHONE}


def rating_choices(lang: Lang, levels: tuple[RawLevel, ...]) -> dict[str, Any]:
    """The site's scale and the conduct items, as the pad shows them: praise after a
    positive level (4 Xin / 4 Luôn), reasons after a negative one (5 Không first, then
    the 4 Xin / 4 Luôn missed)."""
    i = 1 if lang == "en" else 0
    praise = [c for c in CONDUCT_ITEMS if c.group in (Group.XIN, Group.LUON)]
    khong = [c for c in CONDUCT_ITEMS if c.group is Group.KHONG]
    return {
        "levels": [
            {"code": lv.value, "label": RAW_LEVEL_LABELS[lv][i], "positive": lv.official.positive}
            for lv in levels
        ],
        "praise": [{"code": c.code, "label": (c.vi, c.en)[i]} for c in praise],
        "reasons": [{"code": c.code, "label": (c.vi, c.en)[i]} for c in khong]
        + [{"code": c.code, "label": MISSED_LABELS[c.code][i]} for c in praise],
    }
