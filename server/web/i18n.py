"""Page wording, Vietnamese first, English second (switch with /lang/en, /lang/vi)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from protocol.conduct import CONDUCT_ITEMS, LEVEL_LABELS, RAW_LEVEL_LABELS, Group

Lang = Literal["vi", "en"]
LANG_COOKIE = "motcua_lang"

STRINGS: dict[str, tuple[str, str]] = {
    "app": ("Một cửa – lấy số và đánh giá", "One-stop desk – queue and rating"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu", "Wrong username or password"),
    "too_many": (
        "Đăng nhập sai quá nhiều lần: hãy thử lại sau {s} giây",
        "Too many failed log-ins: try again in {s} s",
    ),
    "expired_form": (
        "Biểu mẫu đã hết hạn: hãy thử lại",
        "The form expired: please try again",
    ),
    "forbidden": (
        "Tài khoản {user} không được mở trang này.",
        "Account {user} may not open this page.",
    ),
    "other_lang": ("English", "Tiếng Việt"),
    "role_admin": ("Quản trị", "Admin"),
    "role_supervisor": ("Giám sát", "Supervisor"),
    "role_clerk": ("Cán bộ", "Clerk"),
    "role_board": ("Màn hình", "Display board"),
    "desks": ("Các quầy", "Desks"),
    "choose_desk": ("Chọn quầy làm việc", "Choose your desk"),
    "board": ("Màn hình gọi số", "Display board"),
    "dashboard": ("Giám sát", "Dashboard"),
    "console": ("Quầy", "Desk"),
    # clerk console
    "open_desk": ("Mở quầy (đăng nhập vào quầy)", "Open the desk (log in to it)"),
    "close_desk": ("Đóng quầy", "Close the desk"),
    "desk_closed": ("Quầy đang đóng", "The desk is closed"),
    "desk_taken": ("Quầy đang do {name} phụ trách", "{name} is logged in at this desk"),
    "desk_open": ("Đang mở", "Open"),
    "desk_paused": ("Tạm dừng", "Paused"),
    "in_hand": ("Đang phục vụ", "Now serving"),
    "nobody": ("Chưa gọi ai", "Nobody called"),
    "state_called": ("Đã gọi, chờ công dân đến", "Called, waiting for the citizen"),
    "state_serving": ("Đang giải quyết", "Being served"),
    "recalls": ("Đã gọi lại {n} lần", "Recalled {n} times"),
    "call_next": ("Gọi số tiếp theo", "Call next"),
    "recall": ("Gọi lại", "Recall"),
    "start": ("Bắt đầu", "Start"),
    "done": ("Hoàn thành", "Done"),
    "no_show": ("Vắng mặt", "No-show"),
    "transfer": ("Chuyển lĩnh vực", "Transfer"),
    "pause": ("Tạm dừng", "Pause"),
    "resume": ("Tiếp tục", "Resume"),
    "call_number": ("Gọi số", "Call number"),
    "number_ph": ("VD: A023", "e.g. A023"),
    "transfer_to": ("Chuyển đến lĩnh vực", "Transfer to"),
    "pause_reason": ("Lý do tạm dừng", "Reason for the pause"),
    "reasons_preset": (
        "Nghỉ giữa giờ|Họp|Hỗ trợ quầy khác|Sự cố thiết bị|Khác",
        "Break|Meeting|Helping another desk|Equipment fault|Other",
    ),
    "ok": ("Đồng ý", "OK"),
    "cancel": ("Hủy", "Cancel"),
    "queue": ("Hàng chờ", "Queue"),
    "waiting": ("Đang chờ", "Waiting"),
    "priority_waiting": ("ưu tiên", "priority"),
    "next_numbers": ("Số tiếp theo", "Next numbers"),
    "longest_wait": ("Chờ lâu nhất", "Longest wait"),
    "target": ("mục tiêu", "target"),
    "minutes": ("phút", "min"),
    "shortcuts": ("Phím tắt", "Keyboard shortcuts"),
    "no_one_waiting": ("Không còn ai chờ", "No one is waiting"),
    "awaiting_rating": ("Chờ công dân đánh giá số {n}", "Waiting for number {n} to rate"),
    "connection_lost": ("Mất kết nối – đang kết nối lại…", "Connection lost – reconnecting…"),
    # board
    "board_title": ("Mời công dân đến quầy", "Please go to the desk"),
    "number": ("Số", "Number"),
    "desk": ("Quầy", "Desk"),
    "latest_calls": ("Các lượt gọi gần đây", "Recent calls"),
    "sound_on": ("Bật âm thanh", "Turn the sound on"),
    # dashboard
    "queues": ("Hàng chờ theo lĩnh vực", "Queues by service"),
    "service": ("Lĩnh vực", "Service"),
    "eta": ("Dự kiến", "ETA"),
    "open_desks": ("Quầy mở", "Open desks"),
    "clerk": ("Cán bộ", "Clerk"),
    "serving": ("Đang phục vụ", "Serving"),
    "state": ("Trạng thái", "State"),
    "idle_waiting": ("Rảnh trong khi có người chờ", "Idle while people wait"),
    "closed": ("Đóng", "Closed"),
    "devices": ("Thiết bị", "Devices"),
    "online": ("Trực tuyến", "Online"),
    "offline": ("Mất kết nối", "Offline"),
    "never_seen": ("Chưa kết nối", "Never seen"),
    "unknown": ("Không rõ", "Unknown"),
    "presence_unknown": (
        "Máy chủ mất kết nối MQTT: chưa biết trạng thái thiết bị",
        "The server has lost its MQTT link: device states are unknown",
    ),
    "server_problem": ("Máy chủ có sự cố", "Server problem"),
    "printer": ("Máy in", "Printer"),
    "outbox": ("Chờ gửi", "Outbox"),
    "ratings_live": ("Đánh giá mới nhất", "Latest ratings"),
    "no_ratings": ("Chưa có đánh giá", "No ratings yet"),
    "today": ("Hôm nay", "Today"),
    "satisfaction": ("Hài lòng", "Satisfied"),
    "response_rate": ("Tỷ lệ đánh giá", "Response rate"),
    "served": ("Đã phục vụ", "Served"),
    "ratings": ("Lượt đánh giá", "Ratings"),
    "year_target": ("Mục tiêu năm {y}: {p} %", "Target for {y}: {p} %"),
    "alerts": ("Cảnh báo", "Alerts"),
    "no_alerts": ("Không có cảnh báo", "No alerts"),
    "partial": ("chưa trả lời hết", "partial"),
    "printer_ok": ("Bình thường", "OK"),
    "printer_paper_near_end": ("Sắp hết giấy", "Paper low"),
    "printer_paper_out": ("Hết giấy", "Paper out"),
    "printer_cover_open": ("Nắp đang mở", "Cover open"),
    "printer_offline": ("Mất kết nối", "Offline"),
    "missed": ("Chưa", "Missed"),
}


def lang_of(request: Request) -> Lang:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"


def text(lang: Lang, key: str, **values: object) -> str:
    vi, en = STRINGS[key]
    s = en if lang == "en" else vi
    return s.format(**values) if values else s


def js_strings(lang: Lang, keys: list[str]) -> dict[str, str]:
    """The strings a page's script needs, in the page's language."""
    return {k: text(lang, k) for k in keys}


def conduct_labels(lang: Lang) -> dict[str, object]:
    """Levels and 4 Xin / 4 Luôn / 5 Không items in the page's language."""
    i = 1 if lang == "en" else 0
    return {
        "levels": {lv.value: label[i] for lv, label in LEVEL_LABELS.items()},
        "raw_levels": {lv.value: label[i] for lv, label in RAW_LEVEL_LABELS.items()},
        "items": {c.code: (c.en if i else c.vi) for c in CONDUCT_ITEMS},
        "violations": [c.code for c in CONDUCT_ITEMS if c.group is Group.KHONG],
    }
