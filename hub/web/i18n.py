"""The hub pages' wording, Vietnamese first, English second: the office pages' catalog
(`server.web.i18n.STRINGS`, so the shared templates and labels say the same thing)
plus the hub's own texts (keys ``hub_…``)."""

from __future__ import annotations

from protocol.i18n import Catalog, Lang
from server.web.i18n import STRINGS as OFFICE_STRINGS

HUB_STRINGS = Catalog(
    {
        "hub_app": ("Trung tâm giám sát một cửa", "One-stop desks – hub"),
        "hub_overview": ("Toàn tỉnh", "Province overview"),
        "hub_office": ("Đơn vị", "Office"),
        "hub_group": ("Cụm", "Group"),
        "hub_rank": ("Hạng", "Rank"),
        "hub_state": ("Kết nối", "Link"),
        "hub_online": ("Trực tuyến", "Online"),
        "hub_offline": ("Mất kết nối", "Offline"),
        "hub_never": ("Chưa liên lạc", "Never heard from"),
        "hub_last_contact": ("Liên lạc lần cuối", "Last contact"),
        "hub_waiting": ("Đang chờ", "Waiting"),
        "hub_served": ("Đã phục vụ hôm nay", "Served today"),
        "hub_satisfaction": ("Hài lòng hôm nay", "Satisfied today"),
        "hub_target": ("Mục tiêu", "Target"),
        "hub_ratings_n": ("{n} lượt đánh giá", "{n} ratings"),
        "hub_alerts": ("Cảnh báo", "Alerts"),
        "hub_backlog": ("Chưa gửi về", "Not yet at the hub"),
        "hub_backlog_n": ("{n} bản ghi chưa gửi về", "{n} facts not yet at the hub"),
        "hub_total": ("Toàn tỉnh", "Province total"),
        "hub_group_total": ("Cộng", "Total"),
        "hub_no_group": ("Chưa xếp cụm", "No group"),
        "hub_sort": ("Xếp hạng theo", "Rank by"),
        "hub_sort_satisfaction": ("Tỷ lệ hài lòng", "Satisfaction"),
        "hub_sort_waiting": ("Số người chờ", "Waiting"),
        "hub_sort_served": ("Số lượt phục vụ", "Served"),
        "hub_online_n": ("{n}/{m} trực tuyến", "{n}/{m} online"),
        "hub_updated": ("Cập nhật lúc {t}", "Updated at {t}"),
        "hub_no_offices": ("Chưa có đơn vị nào", "No offices yet"),
        "hub_back": ("← Toàn tỉnh", "← Province overview"),
        "hub_read_only": (
            "Chỉ xem: mọi thao tác do đơn vị thực hiện trên máy chủ của mình",
            "Read only: the office acts on its own server",
        ),
        "hub_no_config": (
            "Chưa nhận được cấu hình của đơn vị (chưa có tín hiệu nào)",
            "No configuration from this office yet (no pulse has come)",
        ),
        "hub_forbidden_office": (
            "Tài khoản {user} chỉ được xem đơn vị của mình.",
            "Account {user} may only see its own office.",
        ),
        "hub_unknown_office": ("Không có đơn vị {code}", "No office {code}"),
        "hub_not_hub_role": (
            "Tài khoản {user} không dùng được trang trung tâm.",
            "Account {user} cannot use the hub's pages.",
        ),
        "hub_desk_stats": ("Số liệu hôm nay theo quầy", "Today by desk"),
        "hub_no_shows": ("Vắng mặt", "No-show"),
        "hub_wait_mean": ("Chờ TB", "Mean wait"),
        "hub_service_mean": ("Phục vụ TB", "Mean service"),
        "hub_next": ("Số tiếp theo", "Next numbers"),
        "hub_device_kind": ("Loại", "Kind"),
        "hub_role_scope_all": ("mọi đơn vị", "every office"),
        "hub_reports": ("Báo cáo", "Reports"),
    }
)

STRINGS = OFFICE_STRINGS.merged(HUB_STRINGS)


def text(lang: Lang, key: str, **values: object) -> str:
    return STRINGS.text(key, lang, **values)


def js_strings(lang: Lang, keys: list[str]) -> dict[str, str]:
    return {k: text(lang, k) for k in keys}
