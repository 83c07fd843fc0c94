"""Page wording, Vietnamese first, English second (switch with /lang/en, /lang/vi).

`STRINGS` is a `protocol.i18n.Catalog`, the translation mechanism the touch apps and the
refusals use too; `text` is its lookup with the argument order the templates use.
"""

from __future__ import annotations

from fastapi import Request

from protocol.conduct import CONDUCT_ITEMS, LEVEL_LABELS, RAW_LEVEL_LABELS, Group
from protocol.i18n import Catalog, Lang, as_lang

LANG_COOKIE = "motcua_lang"

#: Every text of the pages and their scripts, by key.
STRINGS = Catalog(
    {
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
        "admin_users": ("Tài khoản", "Accounts"),
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
        # dossier code and letters (clerk console)
        "dossier_code": ("Mã hồ sơ", "Dossier code"),
        "dossier_ph": ("Quét hoặc gõ mã hồ sơ rồi nhấn Enter", "Scan or type the code, then Enter"),
        "dossier_hint": (
            "Mã trên giấy tiếp nhận hồ sơ và hẹn trả kết quả: chữ cái không dấu, chữ số, . _ / -",
            "The code on the appointment slip: letters, digits, . _ / -",
        ),
        "dossier_digit": ("hoặc gõ chữ số đầu tiên", "or type its first digit"),
        "dossier_save": ("Lưu mã", "Save code"),
        "dossier_saved": ("Đã lưu mã hồ sơ {code} cho số {n}", "Dossier code {code} saved for {n}"),
        "dossier_none": ("chưa có mã hồ sơ", "no dossier code"),
        "dossier_nothing": (
            "Chưa có số nào đang phục vụ hoặc vừa xong để gắn mã hồ sơ",
            "No ticket in hand or just finished to attach the dossier code to",
        ),
        "last_visit": ("Vừa xong số {n} lúc {t}", "Finished {n} at {t}"),
        "letter_apology": ("Phiếu xin lỗi", "Apology slip"),
        "letter_thanks": ("Thư cảm ơn", "Thank-you letter"),
        "letter_apology_title": (
            "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            "Apology and new date for the result",
        ),
        "letter_thanks_title": ("Thư cảm ơn", "Thank-you letter"),
        "letter_reason_apology": ("Lý do trả kết quả chậm", "Why the result is late"),
        "letter_reason_thanks": ("Nội dung cảm ơn", "What the office thanks the citizen for"),
        "new_date": ("Ngày hẹn trả kết quả mới", "New date for the result"),
        "date_ph": ("ngày/tháng/năm, VD: 09/12/2026", "dd/mm/yyyy, e.g. 09/12/2026"),
        "bad_date": (
            "Ngày hẹn phải viết dạng ngày/tháng/năm, VD: 09/12/2026",
            "Write the date as dd/mm/yyyy, e.g. 09/12/2026",
        ),
        "signer_title": ("Chức danh người ký", "Signer's title"),
        "signer_name": ("Họ tên người ký", "Signer's name"),
        "letter_make": ("Lập phiếu và in", "Make and print"),
        "letter_made": (
            "Đã lập {title} cho hồ sơ {code} – mở để in",
            "{title} for dossier {code} is ready – open it to print",
        ),
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
        "web_page": ("Trang web — không theo dõi kết nối", "Web page — not monitored"),
        "web_pages_open": ("Trang web: {n} màn hình đang mở", "Web page: {n} open"),
        "web_page_seen": ("Trang web: mở lần cuối {t}", "Web page: last open {t}"),
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
        "src_pad": ("Máy tại quầy", "Desk pad"),
        "src_kiosk": ("Ki-ốt", "Kiosk"),
        "src_phone": ("Điện thoại", "Phone"),
        # the suggestion box (/gop-y) on the dashboard and the board
        "sg_title": ("Góp ý, phản ánh", "Suggestions and feedback"),
        "sg_none": ("Không có góp ý chờ xử lý", "No open suggestions"),
        "sg_open": ("{n} chưa xử lý", "{n} open"),
        "sg_handle": ("Đã xử lý", "Mark handled"),
        "sg_note": ("Đã xử lý thế nào", "How it was handled"),
        "sg_save": ("Lưu", "Save"),
        "sg_cancel": ("Hủy", "Cancel"),
        "sg_contact": ("Liên hệ", "Contact"),
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
        "praised": ("Khen", "Praised"),
        # reports (/reports)
        "reports": ("Báo cáo", "Reports"),
        "rep_title": ("Báo cáo kết quả đánh giá và lấy số", "Satisfaction and queue report"),
        "rep_period": ("Kỳ báo cáo", "Period"),
        "rep_kind_day": ("Ngày", "Day"),
        "rep_kind_week": ("Tuần", "Week"),
        "rep_kind_month": ("Tháng", "Month"),
        "rep_kind_quarter": ("Quý", "Quarter"),
        "rep_kind_year": ("Năm", "Year"),
        "rep_kind_range": ("Khoảng ngày", "Date range"),
        "rep_week_no": ("Tuần số", "Week no."),
        "rep_from": ("Từ ngày", "From"),
        "rep_to": ("đến ngày", "to"),
        "rep_prev": ("Kỳ trước", "Previous"),
        "rep_next": ("Kỳ sau", "Next"),
        "rep_all": ("Tất cả", "All"),
        "rep_source": ("Nguồn đánh giá", "Rating source"),
        "rep_date_ph": ("ngày/tháng/năm", "dd/mm/yyyy"),
        "rep_bad_date": (
            "Ngày phải viết dạng ngày/tháng/năm, VD: 05/11/2026",
            "Write the date as dd/mm/yyyy, e.g. 05/11/2026",
        ),
        "rep_loading": ("Đang tải báo cáo…", "Loading the report…"),
        "rep_network": (
            "Không tải được báo cáo: mất kết nối với máy chủ",
            "Could not load the report: the server is unreachable",
        ),
        "rep_made_at": ("Số liệu lúc {t}", "Figures as of {t}"),
        "rep_whole_office": ("Toàn đơn vị", "Whole office"),
        "rep_vs_prev": ("so với kỳ trước", "vs previous period"),
        "rep_vs_last_year": ("so với cùng kỳ năm trước", "vs same period last year"),
        "rep_points": ("điểm", "pts"),
        "rep_no_compare": ("không có số liệu để so sánh", "nothing to compare with"),
        "rep_satisfaction": ("Tỷ lệ hài lòng", "Satisfaction"),
        "rep_target": ("Mục tiêu năm {y}: {p} %", "Target for {y}: {p} %"),
        "rep_met": ("đạt", "met"),
        "rep_not_met": ("chưa đạt", "not met"),
        "rep_no_target": ("Chưa đặt mục tiêu", "No target set"),
        "rep_response": ("Tỷ lệ được hỏi ý kiến", "Response rate"),
        "rep_response_sub": ("{r} phiếu / {s} lượt phục vụ", "{r} ratings / {s} served"),
        "rep_served": ("Đã phục vụ", "Served"),
        "rep_visits_sub": (
            "Lấy số {i} · vắng mặt {n} · chuyển {t} · hủy {c} · chưa phục vụ {o}",
            "Issued {i} · no-show {n} · transferred {t} · cancelled {c} · not served {o}",
        ),
        "rep_wait": ("Thời gian chờ (phút)", "Waiting time (min)"),
        "rep_service_time": ("Thời gian phục vụ (phút)", "Service time (min)"),
        "rep_mmp": ("trung bình · trung vị · P90", "mean · median · P90"),
        "rep_service_level": ("Tỷ lệ gọi đúng hạn chờ", "Called within the target wait"),
        "rep_idle": ("Quầy rảnh khi có người chờ", "Desks idle while people waited"),
        "rep_idle_sub": ("cộng dồn mọi quầy", "all desks together"),
        "rep_hours": ("{h} giờ {m} phút", "{h} h {m} min"),
        "rep_levels": ("Mức đánh giá", "Rating levels"),
        "rep_raw": ("Mức đã chọn trên máy 4–5 mặt", "As pressed on 4–5-face pads"),
        "rep_partial": ("trả lời chưa hết", "partial"),
        "rep_letters": ("Thư đã lập", "Letters made"),
        "rep_apology": ("Phiếu xin lỗi", "Apology slips"),
        "rep_thanks": ("Thư cảm ơn", "Thank-you letters"),
        "rep_by_source": ("Theo nguồn", "By source"),
        "rep_heatmap": ("Giờ cao điểm (theo thứ và giờ)", "Peak hours (weekday × hour)"),
        "rep_heat_arrivals": ("Lượt lấy số", "Arrivals"),
        "rep_heat_wait": ("Chờ trung bình (phút)", "Mean wait (min)"),
        "rep_items": ("Tiêu chí theo cán bộ / lĩnh vực", "Conduct items by clerk / service"),
        "rep_items_reasons": ("Lý do không hài lòng", "Reasons for dissatisfaction"),
        "rep_items_praised": ("Điều được khen", "What was praised"),
        "rep_items_item": ("Tiêu chí", "Item"),
        "rep_items_group": ("Nhóm", "Group"),
        "rep_items_total": ("Tổng", "Total"),
        "rep_items_note": (
            "Số lần mỗi tiêu chí được chọn, tiêu chí chọn nhiều nhất ở trên; ô càng đậm màu, "
            "số lần càng nhiều so với các tiêu chí khác trong cùng cột.",
            "Times each item was chosen, the most frequent first; the darker a cell, the more "
            "often compared with the other items of its column.",
        ),
        "rep_breakdown": ("Chi tiết theo", "Breakdown by"),
        "rep_rank": ("Hạng", "Rank"),
        "rep_small": ("mẫu nhỏ", "small sample"),
        "rep_small_note": (
            "Mẫu nhỏ: dưới {n} phiếu đánh giá, chỉ để tham khảo — vẫn được hiển thị và xếp hạng.",
            "Small sample: fewer than {n} ratings, for reference only — still shown and ranked.",
        ),
        "rep_raw_col": (
            "Mức đã chọn trên máy, tính là Không hài lòng",
            "As pressed on the pad, counted as Dissatisfied",
        ),
        "rep_official_levels": ("Mức chính thức", "Official levels"),
        "rep_flags": ("Dấu hiệu bất thường", "Suspicious patterns"),
        "rep_flags_note": (
            "Chỉ đánh dấu để xem xét, không phiếu nào bị xóa. Cột ± điểm: tỷ lệ hài lòng "
            "thay đổi bao nhiêu điểm nếu bỏ các phiếu này.",
            "Flagged for a person to look at; no rating is deleted. ± points: how much the "
            "satisfaction % would change without these ratings.",
        ),
        "rep_no_flags": ("Không có dấu hiệu bất thường", "No suspicious patterns"),
        "rep_flag_kind": ("Loại", "Kind"),
        "rep_count": ("Số phiếu", "Ratings"),
        "rep_when": ("Thời gian", "When"),
        "rep_delta": ("± điểm", "± points"),
        "rep_detail": ("Chi tiết", "Detail"),
        "rep_official": ("Bảng tổng hợp chính thức", "Official table"),
        "rep_download": ("Tải về", "Download"),
        "rep_dossiers_csv": ("CSV hồ sơ", "Dossiers CSV"),
        "rep_dossiers_xlsx": ("Excel hồ sơ", "Dossiers Excel"),
        "rep_no_data": ("Chưa có dữ liệu", "No data yet"),
        "rep_total": ("Tổng cộng", "Total"),
        "rep_clerk_own": (
            "Cán bộ chỉ xem được số liệu của chính mình",
            "A clerk sees only their own figures",
        ),
    }
)


def lang_of(request: Request) -> Lang:
    return as_lang(request.cookies.get(LANG_COOKIE))


def text(lang: Lang, key: str, **values: object) -> str:
    """The page text ``key`` in ``lang``, its placeholders filled."""
    return STRINGS.text(key, lang, **values)


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
