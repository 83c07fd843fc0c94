"""Screen wording, Vietnamese first, English second. No Kivy here.

`STRINGS` is a `protocol.i18n.Catalog`, the translation mechanism the web pages and the
refusals use too (it checks that every string is NFC, so Kivy's fonts draw precomposed
letters); `tr` is its lookup with the argument order the screens use.
"""

from __future__ import annotations

from protocol.i18n import Catalog, Lang

#: Every text of the kiosk's and the rating pad's screens, by key.
STRINGS = Catalog(
    {
        # shared
        "back": ("Quay lại", "Back"),
        "switch_language": ("English", "Tiếng Việt"),
        "offline_banner": (
            "Đang mất kết nối với máy chủ – số thứ tự vẫn được cấp bình thường",
            "No connection to the server – numbers are still issued",
        ),
        "pad_offline_banner": (
            "Mất kết nối – đánh giá vẫn được lưu và gửi sau",
            "Offline – ratings are kept and sent later",
        ),
        "thanks": ("Xin cảm ơn ông/bà!", "Thank you!"),
        "thanks_sub": (
            "Ý kiến của ông/bà giúp chúng tôi phục vụ tốt hơn.",
            "Your opinion helps us serve you better.",
        ),
        # kiosk: welcome
        "welcome_title": ("Xin chào!", "Welcome!"),
        "welcome_sub": (
            "Mời ông/bà chạm vào nút dưới đây để lấy số thứ tự",
            "Please touch the button below to take a number",
        ),
        "take_number": ("Lấy số thứ tự", "Take a number"),
        "rate_visit": ("Đánh giá cán bộ đã phục vụ", "Rate the service you received"),
        # kiosk: services
        "choose_service": ("Mời ông/bà chọn lĩnh vực cần giải quyết", "Please choose a service"),
        "waiting_eta": (
            "Đang chờ: {waiting} người · khoảng {eta} phút",
            "Waiting: {waiting} · about {eta} min",
        ),
        "waiting_none": ("Không phải chờ", "No one waiting"),
        "no_desk_open": (
            "Chưa có quầy mở cho lĩnh vực này",
            "No desk open for this service yet",
        ),
        "waiting_no_desk": (
            "Đang chờ: {waiting} người · chưa có quầy mở",
            "Waiting: {waiting} · no desk open yet",
        ),
        "no_services": (
            "Máy đang khởi động, xin ông/bà vui lòng chờ trong giây lát…",
            "Starting, please wait a moment…",
        ),
        # kiosk: priority
        "ask_priority": (
            "Ông/bà có thuộc đối tượng ưu tiên không?",
            "Do you qualify for priority service?",
        ),
        "no_priority": ("Không – lấy số thường", "No – a regular number"),
        # kiosk: ticket
        "your_number": ("Số thứ tự của ông/bà", "Your number"),
        "people_ahead": ("Số người chờ trước: {n}", "People ahead of you: {n}"),
        "eta": ("Thời gian chờ dự kiến: khoảng {m} phút", "Estimated wait: about {m} min"),
        "eta_soon": ("Ông/bà sắp được phục vụ", "You will be served shortly"),
        "printing": ("Đang in phiếu…", "Printing your ticket…"),
        "printed": ("Mời ông/bà nhận phiếu ở khe bên dưới", "Please take your ticket below"),
        "print_failed": (
            "Máy in đang gặp sự cố. Xin ông/bà ghi nhớ số này hoặc chụp ảnh mã QR bên cạnh.",
            "The printer has a problem. Please note this number or take a photo of the QR code.",
        ),
        "no_printer": ("Xin ông/bà ghi nhớ số này.", "Please remember this number."),
        "wait_call": ("Xin cảm ơn, mời ông/bà chờ gọi số", "Thank you, please wait to be called"),
        "no_number": (
            "Xin lỗi ông/bà, máy tạm thời chưa cấp được số. "
            "Xin ông/bà vui lòng liên hệ cán bộ tại quầy hướng dẫn.",
            "Sorry, no number can be issued right now. Please ask at the information desk.",
        ),
        "priority_mark": ("Ưu tiên: {name}", "Priority: {name}"),
        # rate a visit (kiosk)
        "enter_number": (
            "Mời ông/bà nhập số thứ tự in trên phiếu",
            "Please enter the number on your ticket",
        ),
        "clear": ("Xoá", "Clear"),
        "next": ("Tiếp tục", "Continue"),
        "bad_number": ("Số chưa đúng, ví dụ: A023", "Not a valid number, e.g. A023"),
        # rating flow
        "rate_ticket": (
            "Đánh giá lượt phục vụ số {number}",
            "Rate the service for number {number}",
        ),
        "how_satisfied": (
            "Ông/bà có hài lòng với thái độ phục vụ của cán bộ không?",
            "How satisfied are you with the clerk's service?",
        ),
        "reasons_title": (
            "Ông/bà chưa hài lòng vì sao? (chọn một hoặc nhiều ý)",
            "What was wrong? (choose one or more)",
        ),
        "praise_title": (
            "Cán bộ đã làm tốt điều gì? (không bắt buộc)",
            "What did the clerk do well? (optional)",
        ),
        "send": ("Gửi đánh giá", "Send"),
        "skip": ("Bỏ qua", "Skip"),
        # rating pad
        "pad_clerk": ("Cán bộ tiếp nhận: {name}", "Your clerk: {name}"),
        "pad_no_clerk": ("Quầy chưa có cán bộ", "No clerk at this desk"),
        "pad_serving": ("Đang phục vụ số {number}", "Now serving {number}"),
        "pad_paused": ("Quầy tạm dừng", "Desk paused"),
        "pad_wrong_desk": (
            "Máy này được cấu hình cho quầy {desk}, nhưng máy chủ không cho phép thiết bị "
            "{device} nhận tin của quầy này – kiểm tra desk_id của máy và mục devices "
            "trong cấu hình đơn vị",
            "This pad is configured for desk {desk}, but the server refuses device {device} "
            "the news of that desk – check the pad's desk_id and the site YAML's devices",
        ),
        "pad_greeting": (
            "Xin chào ông/bà. Sau khi được phục vụ, mời ông/bà đánh giá trên màn hình này.",
            "Welcome. After your visit, please rate it on this screen.",
        ),
        # admin
        "admin_pin": ("Nhập mã PIN quản trị", "Enter the admin PIN"),
        "admin_wrong": ("Sai mã PIN", "Wrong PIN"),
        "admin_exit": ("Thoát ứng dụng", "Quit the app"),
        "admin_cancel": ("Huỷ", "Cancel"),
        "admin_test_page": ("In trang thử", "Print a test page"),
    }
)


def tr(key: str, lang: Lang = "vi", **values: object) -> str:
    """The screen text ``key`` in ``lang``, its placeholders filled."""
    return STRINGS.text(key, lang, **values)
