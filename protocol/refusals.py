"""Every refusal code the system sends or shows, and the wording of each.

A refusal says *what* was refused with a stable `Reason` (sent on the wire in a
``Refusal``, in an HTTP error body, stored in ``rejected_messages``) and *how to say it*
with `REFUSALS`, the catalog of its Vietnamese and English sentences. The code that
refuses raises `protocol.errors.MotcuaError` (or a subclass) with the reason and the
values of its placeholders, never a sentence; each boundary (HTTP, the MQTT reply, the
kiosk's screen) asks the catalog for the words.

Kept apart from `protocol.codes` (ticket states, event kinds) because refusals come with
their wording, and apart from `protocol.errors` so that a page or a test can read the
codes and the catalog without the exception classes.

Catalog keys are a reason's value (``"desk_busy"``), or a reason and a *variant* after a
dot (``"desk_busy.close"``) where one code is said differently in different situations
(what the clerk was about to do, which field was missing…). Every reason has its plain
entry. Codes that only a misbehaving device can cause (``bad_json``, ``device_mismatch``…)
are answered with one generic sentence and the technical ``{detail}`` in English, which
is all a kiosk can show about them.
"""

from __future__ import annotations

from enum import StrEnum

from protocol.i18n import Catalog, Localized


class Reason(StrEnum):
    """Why something was refused. The values are stable: they are sent to devices and
    browsers and stored with refused messages, so a value never changes once released."""

    # -- the queue (`server.queue`): a desk action or a ticket refused
    DESK_BUSY = "desk_busy"
    DESK_CLOSED = "desk_closed"
    DESK_PAUSED = "desk_paused"
    DESK_TAKEN = "desk_taken"
    NO_TICKET = "no_ticket"
    BAD_STATE = "bad_state"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_DESK = "unknown_desk"
    UNKNOWN_CLERK = "unknown_clerk"
    UNKNOWN_DEVICE = "unknown_device"
    UNKNOWN_PRIORITY = "unknown_priority"
    NOT_FOUND = "not_found"
    NOT_IN_RESERVE = "not_in_reserve"
    NOT_PAUSED = "not_paused"
    SAME_SERVICE = "same_service"
    VISIT_CHANGED = "visit_changed"
    DUPLICATE_TICKET = "duplicate_ticket"
    CLERK_ELSEWHERE = "clerk_elsewhere"
    NO_RECENT_VISIT = "no_recent_visit"
    BAD_DOSSIER_CODE = "bad_dossier_code"
    BAD_REASON = "bad_reason"
    # -- desk actions asked over HTTP (`server.services.desks`)
    BAD_REQUEST = "bad_request"
    CLERK_ONLY = "clerk_only"
    NOT_YOUR_DESK = "not_your_desk"
    # -- ratings (`server.ratings`)
    ALREADY_RATED = "already_rated"
    BAD_LEVEL = "bad_level"
    BEFORE_DONE = "before_done"
    TICKET_NOT_DONE = "ticket_not_done"
    UNKNOWN_TICKET = "unknown_ticket"
    WINDOW_EXPIRED = "window_expired"
    WRONG_DESK = "wrong_desk"
    SENT_IN_FUTURE = "sent_in_future"
    # -- device messages (`protocol.decoding`, `server.ingest`)
    BAD_JSON = "bad_json"
    BAD_UTF8 = "bad_utf8"
    TOO_LARGE = "too_large"
    #: A payload (or a request body, or typed text) that does not validate.
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    DEVICE_MISMATCH = "device_mismatch"
    NOT_DESK_PAD = "not_desk_pad"
    REQUEST_EXPIRED = "request_expired"
    UNKNOWN_TOPIC = "unknown_topic"
    WRONG_DEVICE_KIND = "wrong_device_kind"
    INTERNAL_ERROR = "internal_error"
    # -- who is asking (`server.http.deps`, `server.auth.login`)
    NOT_LOGGED_IN = "not_logged_in"
    BAD_TOKEN = "bad_token"
    BAD_CREDENTIALS = "bad_credentials"
    CSRF = "csrf"
    FORBIDDEN = "forbidden"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    # -- the HTTP API's own requests (`server.http.routes`)
    UNKNOWN_SITE = "unknown_site"
    ONE_DAY_ONLY = "one_day_only"
    BAD_NEW_DATE = "bad_new_date"
    NOT_YOUR_LETTER = "not_your_letter"
    # -- reports (`server.reports`, `server.http.routes.reports`)
    MISSING_PERIOD = "missing_period"
    BAD_PERIOD = "bad_period"
    PERIOD_TOO_LONG = "period_too_long"
    BAD_BY = "bad_by"
    BAD_LANG = "bad_lang"
    BAD_SOURCE = "bad_source"
    NO_CLERK = "no_clerk"
    NOT_YOUR_FIGURES = "not_your_figures"
    # -- made-up history (`server.simulation.write`, the command line)
    BAD_DAYS = "bad_days"
    NOT_PAST = "not_past"
    HISTORY_EXISTS = "history_exists"
    #: A refusal relayed from a server whose code this build does not know (a newer
    #: server's); the kiosk shows the server's own words.
    REFUSED = "refused"


#: What a device is told about a message it should never have sent: nothing a citizen
#: could act on, and the technical detail in English.
_DEVICE_FAULT = ("Yêu cầu không hợp lệ", "{detail}")
_BUSY_VI = "Hãy kết thúc số đang phục vụ trước khi"
_DOSSIER_CHARS_VI = "Mã hồ sơ chỉ gồm chữ cái không dấu, chữ số và các dấu . _ / -"
_DOSSIER_CHARS_EN = "the dossier code may hold only letters A–Z, digits and . _ / -"
_REPORTS_URL = "/api/sites/{site}/reports?period=2026-11-01..2026-11-30"
_PERIOD_VI = "Kỳ báo cáo “{period}” không hợp lệ:"
_PERIOD_EN = "invalid report period {period!r}:"

_ENTRIES: dict[str, tuple[str, str]] = {
    # -- the queue
    "desk_busy": (f"{_BUSY_VI} gọi số mới", "finish the ticket in hand first"),
    "desk_busy.close": (f"{_BUSY_VI} đóng quầy", "finish the ticket first"),
    "desk_busy.pause": (f"{_BUSY_VI} tạm dừng", "finish the ticket first"),
    "desk_closed": ("Quầy chưa mở: cán bộ chưa đăng nhập", "the desk is closed"),
    "desk_closed.open_first": ("Hãy mở quầy trước", "open the desk first"),
    "desk_paused": ("Quầy đang tạm dừng", "the desk is paused"),
    "desk_taken": ("Quầy đang do cán bộ khác phụ trách", "another clerk is logged in here"),
    "no_ticket": ("Quầy không có số nào đang phục vụ", "no ticket in hand"),
    "bad_state": (
        "Số này không thể chuyển sang trạng thái đó",
        "not allowed in the ticket's state",
    ),
    "bad_state.recall": (
        "Chỉ gọi lại được số chưa đến quầy",
        "only a called ticket can be recalled",
    ),
    "bad_state.start": ("Số này đã bắt đầu phục vụ", "service already started"),
    "bad_state.no_show": (
        "Công dân đã đến quầy: hãy kết thúc thay vì bỏ qua",
        "already being served",
    ),
    "unknown_service": ("Không có lĩnh vực “{service}”", "unknown service {service!r}"),
    "unknown_service.kiosk": ("Không có lĩnh vực này", "Unknown service"),
    "unknown_service.report": (
        "Không có lĩnh vực “{value}” trong cấu hình của đơn vị",
        "unknown service {value!r}",
    ),
    "unknown_desk": ("Không có quầy “{desk}”", "unknown desk {desk!r}"),
    "unknown_desk.report": (
        "Không có quầy “{value}” trong cấu hình của đơn vị",
        "unknown desk {value!r}",
    ),
    "unknown_desk.mqtt": _DEVICE_FAULT,
    "unknown_clerk": ("Không có cán bộ “{clerk}”", "unknown clerk {clerk!r}"),
    "unknown_clerk.report": (
        "Không có cán bộ “{value}” trong cấu hình của đơn vị",
        "unknown clerk {value!r}",
    ),
    "unknown_device": ("Không có ki-ốt “{kiosk}”", "unknown kiosk {kiosk!r}"),
    "unknown_device.mqtt": _DEVICE_FAULT,
    "unknown_priority": (
        "Không có đối tượng ưu tiên “{priority}”",
        "unknown priority {priority!r}",
    ),
    "not_found": (
        "Không có số {number} đang chờ tại quầy này hôm nay",
        "no waiting ticket {number} for this desk today",
    ),
    "not_found.letter": ("Không có phiếu này", "no such letter"),
    "not_found.suggestion": ("Không có góp ý này", "No such suggestion"),
    "not_in_reserve": (
        "Số {number} không thuộc khối số dự phòng của ki-ốt này",
        "{number} is not in the reserve block of {kiosk} for {service} on {day} ({have})",
    ),
    "not_paused": ("Quầy không tạm dừng", "the desk is not paused"),
    "same_service": ("Số này đã ở lĩnh vực đó", "already in that service"),
    "visit_changed": (
        "Quầy đã hoàn thành số khác ({number}) từ đó: hãy kiểm tra lại",
        "the desk has finished another ticket ({number}) since",
    ),
    "duplicate_ticket": (
        "Số {number} đã được ghi nhận",
        "ticket {ticket_id} / {number} of {day} is already stored",
    ),
    "duplicate_ticket.concurrent": (
        "Số {number} đã được ghi nhận",
        "{number} of {day} was stored concurrently",
    ),
    "clerk_elsewhere": (
        "Cán bộ đang làm việc ở {desk}: hãy đóng quầy đó trước",
        "already logged in at {desk}: close it first",
    ),
    "no_recent_visit": (
        "Quầy không có lượt phục vụ vừa kết thúc để gắn mã hồ sơ "
        "(chỉ trong {minutes} phút sau khi hoàn thành)",
        "no visit just finished at this desk to attach the dossier code to",
    ),
    "bad_dossier_code": (
        f"{_DOSSIER_CHARS_VI} (không được có “{{char}}”)",
        f"{_DOSSIER_CHARS_EN} (not {{char!r}})",
    ),
    "bad_dossier_code.space": (
        f"{_DOSSIER_CHARS_VI} (không được có dấu cách)",
        f"{_DOSSIER_CHARS_EN} (not a space)",
    ),
    "bad_dossier_code.empty": ("Mã hồ sơ đang để trống", "the dossier code is empty"),
    "bad_dossier_code.control": (
        "Mã hồ sơ có ký tự điều khiển (không in được): hãy quét hoặc gõ lại",
        "the dossier code contains control characters: scan or type it again",
    ),
    "bad_dossier_code.too_long": (
        "Mã hồ sơ dài quá {max} ký tự (đang có {length} ký tự)",
        "the dossier code is longer than {max} characters ({length})",
    ),
    "bad_reason": ("Hãy ghi lý do tạm dừng (tối đa 200 ký tự)", "give a reason (≤ 200 chars)"),
    # -- desk actions asked over HTTP
    "bad_request": ("Yêu cầu không hợp lệ", "bad request"),
    "bad_request.dossier_code": ("Hãy nhập mã hồ sơ", "give `dossier_code`"),
    "bad_request.number": ("Hãy nhập số cần gọi", "give `number`"),
    "bad_request.service": ("Hãy chọn lĩnh vực chuyển đến", "give `service`"),
    "clerk_only": ("Chỉ cán bộ mới mở quầy", "only a clerk opens a desk"),
    "not_your_desk": ("Quầy này do cán bộ khác phụ trách", "another clerk is logged in"),
    # -- ratings (stored with the refused message; no device is answered)
    "already_rated": ("Lượt phục vụ này đã được đánh giá", "this visit is already rated"),
    "bad_level": ("Mức đánh giá không có trong thang của đơn vị", "the level is not on the scale"),
    "before_done": (
        "Đánh giá gửi trước khi lượt phục vụ kết thúc",
        "sent before the service ended",
    ),
    "ticket_not_done": ("Số này chưa được phục vụ xong", "the ticket is not done"),
    "unknown_ticket": ("Không có số này", "no such ticket"),
    "window_expired": ("Đã hết thời gian đánh giá lượt phục vụ này", "the rating window is over"),
    "wrong_desk": ("Số này được phục vụ ở quầy khác", "the ticket was served at another desk"),
    "sent_in_future": (
        "Đồng hồ của máy lấy số chạy nhanh hơn máy chủ",
        "the kiosk's clock is ahead of the server's",
    ),
    "sent_in_future.rating": (
        "Đồng hồ của thiết bị đánh giá chạy nhanh hơn máy chủ",
        "the rating device's clock is ahead of the server's",
    ),
    # -- device messages
    "bad_json": _DEVICE_FAULT,
    "bad_utf8": _DEVICE_FAULT,
    "too_large": _DEVICE_FAULT,
    "invalid": _DEVICE_FAULT,
    "invalid.body": ("Dữ liệu không hợp lệ", "{detail}"),
    "invalid.text_empty": ("Hãy ghi {what}", "give {what}"),
    "invalid.text_control": (
        "{What} có ký tự điều khiển (không in được)",
        "{what} contains control characters",
    ),
    "invalid.text_too_long": (
        "{What} dài quá {max} ký tự (đang có {length} ký tự)",
        "{what} is longer than {max} characters ({length})",
    ),
    "duplicate": _DEVICE_FAULT,
    "conflict": _DEVICE_FAULT,
    "conflict.handled": (
        "Góp ý này đã được xử lý lúc {at} ({by})",
        "This suggestion was already handled at {at} ({by})",
    ),
    "device_mismatch": _DEVICE_FAULT,
    "not_desk_pad": _DEVICE_FAULT,
    "request_expired": ("Yêu cầu đã quá hạn", "request expired"),
    "unknown_topic": _DEVICE_FAULT,
    "wrong_device_kind": _DEVICE_FAULT,
    "internal_error": ("Máy chủ gặp lỗi, chưa cấp được số", "server error: no number was issued"),
    # -- who is asking
    "not_logged_in": ("Cần đăng nhập", "log in first"),
    "bad_token": ("Phiên đăng nhập hết hạn", "invalid or expired token"),
    "bad_token.session": ("Phiên đăng nhập hết hạn", "invalid or expired session"),
    "bad_credentials": ("Sai tên đăng nhập hoặc mật khẩu", "wrong username or password"),
    "csrf": (
        "Yêu cầu không hợp lệ: hãy tải lại trang",
        "missing or wrong CSRF token: reload the page",
    ),
    "forbidden": ("Tài khoản không có quyền này", "needs role {roles}"),
    "too_many_attempts": (
        "Đăng nhập sai quá nhiều lần: hãy thử lại sau {retry_after} giây",
        "too many failed log-ins: try again in {retry_after} s",
    ),
    # -- the HTTP API's own requests
    "unknown_site": ("Không có đơn vị “{site}”", "unknown site"),
    "one_day_only": (
        "Thống kê quầy chỉ cho một ngày (date=YYYY-MM-DD), không nhận "
        f"{{given}}: số liệu nhiều ngày xem ở {_REPORTS_URL}",
        "desk stats are for one day (date=YYYY-MM-DD); {given} "
        f"is not taken: for a range use {_REPORTS_URL}",
    ),
    "bad_new_date": (
        "Hãy chọn ngày hẹn trả kết quả mới",
        "give `new_date`, the new date the result will be returned",
    ),
    "bad_new_date.past": (
        "Ngày hẹn mới ({new:%d/%m/%Y}) không được trước hôm nay ({today:%d/%m/%Y})",
        "the new date {new} is before today ({today})",
    ),
    "bad_new_date.too_far": (
        "Ngày hẹn mới phải trong vòng một năm",
        "the new date must be within a year",
    ),
    "not_your_letter": ("Phiếu này do cán bộ khác lập", "another clerk made this letter"),
    # -- reports
    "missing_period": (
        "Hãy chọn kỳ báo cáo, VD: period=2026-Q3",
        "give the report period, e.g. period=2026-Q3",
    ),
    "bad_period": (
        f"{_PERIOD_VI} hãy viết theo mẫu {{forms}}",
        f"{_PERIOD_EN} write it as {{forms}}",
    ),
    "bad_period.too_long": (f"{_PERIOD_VI} quá dài", f"{_PERIOD_EN} too long"),
    "bad_period.year": (
        f"{_PERIOD_VI} năm phải từ 2000 đến 2100",
        f"{_PERIOD_EN} the year must be 2000–2100",
    ),
    "bad_period.no_day": (
        f"{_PERIOD_VI} không có ngày {{day}}",
        f"{_PERIOD_EN} there is no day {{day}}",
    ),
    "bad_period.end_first": (
        f"{_PERIOD_VI} ngày kết thúc trước ngày bắt đầu",
        f"{_PERIOD_EN} the end is before the start",
    ),
    "bad_period.week": (
        f"{_PERIOD_VI} năm {{year}} có {{weeks}} tuần",
        f"{_PERIOD_EN} {{year}} has {{weeks}} ISO weeks",
    ),
    "bad_period.quarter": (
        f"{_PERIOD_VI} quý phải từ 1 đến 4",
        f"{_PERIOD_EN} the quarter must be 1–4",
    ),
    "bad_period.month": (
        f"{_PERIOD_VI} tháng phải từ 1 đến 12",
        f"{_PERIOD_EN} the month must be 1–12",
    ),
    "period_too_long": (
        "Kỳ báo cáo “{period}” dài quá 5 năm: hãy chọn kỳ ngắn hơn",
        "report period {period!r} is longer than 5 years: choose a shorter one",
    ),
    "bad_by": (
        "Cách chia “{value}” không hợp lệ: chọn {allowed}",
        "invalid breakdown {value!r}: choose {allowed}",
    ),
    "bad_lang": (
        "Ngôn ngữ “{value}” không hợp lệ: chọn {allowed}",
        "invalid language {value!r}: choose {allowed}",
    ),
    "bad_source": (
        "Nguồn đánh giá “{value}” không hợp lệ: chọn {allowed}",
        "invalid rating source {value!r}: choose {allowed}",
    ),
    "no_clerk": (
        "Tài khoản cán bộ này chưa gắn với mã cán bộ nào",
        "this clerk account has no clerk id",
    ),
    "not_your_figures": (
        "Cán bộ chỉ xem được số liệu của chính mình",
        "a clerk sees only their own figures",
    ),
    # -- made-up history
    "bad_days": ("Số ngày phải từ 1 đến {max}", "the number of days must be 1–{max}"),
    "not_past": (
        "Chỉ tạo được lịch sử cho những ngày đã qua (đến hôm qua, {yesterday:%d/%m/%Y})",
        "history is only made for past days (up to yesterday, {yesterday})",
    ),
    "history_exists": (
        "Đơn vị “{site}” đã có {count} phiếu trong các ngày {low:%d/%m/%Y}–{high:%d/%m/%Y}: "
        "không ghi lịch sử chồng lên dữ liệu đã có, chưa ghi gì cả",
        "site {site!r} already has {count} tickets between {low} and {high}: history is "
        "never written over existing days; nothing was written",
    ),
    # -- relayed
    "refused": ("Yêu cầu bị từ chối", "request refused"),
}

#: The wording of every refusal, keyed by `Reason` (and ``reason.variant``).
REFUSALS = Catalog({key: Localized(*pair) for key, pair in _ENTRIES.items()})


def wording_key(code: Reason, variant: str | None = None) -> str:
    """The catalog key of ``code`` said as ``variant`` (or plainly)."""
    return f"{code.value}.{variant}" if variant else code.value


def as_reason(code: str) -> Reason:
    """The `Reason` of a code read from the wire; `Reason.REFUSED` for one this build
    does not know."""
    try:
        return Reason(code)
    except ValueError:
        return Reason.REFUSED
