"""The suggestion box's wording (``/gop-y``), Vietnamese first, English second: a page
for any citizen, in plain words. The refusals of what they typed are worded by
`server.services.suggestions`; the ones of the request itself are here."""

from __future__ import annotations

from protocol.i18n import Catalog, Lang

STRINGS = Catalog(
    {
        "title": ("Góp ý, phản ánh", "Suggestions and feedback"),
        "intro": (
            "Ông/bà có ý kiến về việc giải quyết thủ tục hành chính tại Bộ phận một cửa? "
            "Hãy ghi vào đây. Không cần đăng nhập, không cần ghi tên.",
            "Anything to tell us about how you were served at the one-stop desk? "
            "Write it here. No log-in, no name needed.",
        ),
        "text": ("Nội dung góp ý", "Your suggestion"),
        "text_hint": (
            "Ví dụ: việc gì, ở quầy nào, vào lúc nào",
            "For example: what happened, at which desk, when",
        ),
        "count": ("{n}/{max} ký tự", "{n}/{max} characters"),
        "too_short": ("Hãy ghi ít nhất {min} ký tự", "Please write at least {min} characters"),
        "service": ("Lĩnh vực", "Service"),
        "no_service": ("Không chọn", "None"),
        "contact": ("Số điện thoại hoặc email", "Phone number or e-mail"),
        "contact_hint": (
            "Không bắt buộc — chỉ ghi nếu ông/bà muốn được trả lời",
            "Optional — only if you want an answer",
        ),
        "privacy": (
            "Chúng tôi chỉ lưu nội dung góp ý, lĩnh vực đã chọn và thông tin liên hệ "
            "ông/bà tự ghi (nếu có).",
            "We keep only your text, the service you chose and the contact you typed (if any).",
        ),
        "send": ("Gửi góp ý", "Send"),
        "sending": ("Đang gửi…", "Sending…"),
        "sent": ("Cảm ơn ông/bà đã góp ý", "Thank you for your suggestion"),
        "sent_body": (
            "Góp ý đã được chuyển đến lãnh đạo phụ trách Bộ phận một cửa.",
            "It has been passed to the supervisors of the one-stop desk.",
        ),
        "sent_contact": (
            "Chúng tôi sẽ liên hệ lại theo thông tin ông/bà đã để lại.",
            "We will answer you using the contact you gave.",
        ),
        "another": ("Gửi góp ý khác", "Send another"),
        "other_lang": ("English", "Tiếng Việt"),
        "offline": (
            "Không gửi được: hãy kiểm tra kết nối mạng rồi thử lại",
            "Could not send: check the network connection and try again",
        ),
        # refusals of the request itself
        "content_type": (
            "Trang gửi dữ liệu không đúng dạng: hãy tải lại trang rồi thử lại",
            "The page sent data of the wrong type: reload the page and try again",
        ),
        "too_large": (
            "Nội dung gửi lên quá lớn: hãy rút gọn góp ý",
            "What was sent is too large: please shorten your suggestion",
        ),
        "malformed": (
            "Dữ liệu gửi lên không hợp lệ: hãy tải lại trang rồi thử lại",
            "The data sent is not valid: reload the page and try again",
        ),
        "too_many": (
            "Ông/bà đã gửi nhiều góp ý liên tiếp: hãy thử lại sau {s} giây",
            "You have sent several suggestions in a row: please try again in {s} s",
        ),
    }
)

#: What the page's script needs.
JS_KEYS = ("count", "too_short", "sending", "send", "offline")


def text(lang: Lang, key: str, **values: object) -> str:
    return STRINGS.text(key, lang, **values)
