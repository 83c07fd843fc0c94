"""What citizens write in simulated history: a few ratings given on the phone (the QR
code on the ticket) instead of the desk's pad, some with a comment, and a few notes in
the suggestion box each day, some of them handled by the supervisor the same day.

Both draw from their own random generators (a rated visit's, after everything else
about its rating is drawn; the day's suggestion box's), so the rest of a day's plan —
who came, who was served, how they rated — is the same with or without them.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from server.simulation.model import DayPlan, PlannedRating, PlannedSuggestion

#: Share of the ratings a pad would have taken that are given on the phone instead.
PHONE_RATING_P = 0.12
#: Share of the phone's ratings that come with a comment.
COMMENT_P = 0.45
#: Suggestions per visit of the day (a busy day: one or two).
SUGGESTION_P = 0.02
NAMED_SERVICE_P = 0.6
CONTACT_P = 0.35
HANDLED_P = 0.6
#: Who marks suggestions handled in simulated history (the demo's supervisor).
HANDLER = "giamsat"
#: The device id a phone's rating carries (as `server.services.phone` stores it).
PHONE_DEVICE = "phone"

PRAISE_COMMENTS = (
    "Cán bộ hướng dẫn tận tình, dễ hiểu. Cảm ơn!",
    "Làm thủ tục nhanh, không phải chờ lâu.",
    "Chị cán bộ rất nhiệt tình, vui vẻ.",
    "Phòng chờ sạch sẽ, có nước uống, rất tốt.",
    "Được giải thích rõ ràng từng bước, hài lòng.",
    "Hồ sơ được trả đúng hẹn.",
)
COMPLAINT_COMMENTS = (
    "Phải chờ quá lâu mới được gọi.",
    "Cán bộ trả lời cộc lốc, không giải thích rõ.",
    "Hẹn trả kết quả nhưng đến nơi vẫn chưa có.",
    "Yêu cầu bổ sung giấy tờ nhiều lần, mất thời gian.",
    "Loa gọi số nhỏ, ngồi cuối phòng không nghe rõ.",
)
SUGGESTIONS = (
    "Đề nghị bố trí thêm ghế ngồi ở khu vực chờ vào buổi sáng.",
    "Nên có thêm quầy cho lĩnh vực đất đai, sáng thứ Hai rất đông.",
    "Đề nghị niêm yết rõ mức phí, lệ phí của từng thủ tục.",
    "Bãi gửi xe chật, mong được mở rộng.",
    "Nên có máy in, máy photo cho người dân tự dùng.",
    "Đề nghị làm việc cả sáng thứ Bảy cho lĩnh vực tư pháp.",
    "Cảm ơn các cán bộ bộ phận một cửa đã hỗ trợ tận tình.",
    "Wi-Fi ở phòng chờ hay bị mất kết nối.",
    "Màn hình gọi số nên hiển thị to hơn cho người lớn tuổi.",
    "Đề nghị hướng dẫn nộp hồ sơ trực tuyến ngay tại quầy.",
)
NOTES = (
    "Đã tiếp thu, báo cáo lãnh đạo để bố trí.",
    "Đã trả lời công dân qua điện thoại.",
    "Đã chuyển bộ phận hành chính xử lý.",
    "Đã kiểm tra và khắc phục.",
)


def maybe_by_phone(
    rating: PlannedRating, rng: random.Random, done_at: datetime, window_s: int, positive: bool
) -> PlannedRating:
    """A pad's rating, or the same answer given on the phone a few minutes after the
    visit (within the rating window; the server's clock is its time), with a comment
    now and then."""
    if rating.source != "pad" or rng.random() >= PHONE_RATING_P:
        return rating
    sent = done_at + timedelta(seconds=rng.randint(60, max(60, min(1200, window_s - 60))))
    comment = None
    if rng.random() < COMMENT_P:
        comment = rng.choice(PRAISE_COMMENTS if positive else COMPLAINT_COMMENTS)
    return PlannedRating(
        leg=rating.leg,
        msg_id=rating.msg_id,
        device_id=PHONE_DEVICE,
        source="phone",
        level_raw=rating.level_raw,
        praised=rating.praised,
        reasons=rating.reasons,
        partial=False,
        sent_at=sent,
        received_at=sent,
        comment=comment,
    )


def plan_suggestions(plan: DayPlan, rng: random.Random) -> None:
    """A few notes in the suggestion box, dropped in after a visit, on the visit's day."""
    assert plan.close_at is not None
    last = plan.close_at - timedelta(minutes=1)
    visits = [leg for leg in plan.legs if leg.transferred_from is None]
    for leg in visits:
        if rng.random() >= SUGGESTION_P:
            continue
        at = min(leg.issued_at + timedelta(seconds=rng.randint(600, 5400)), last)
        handled: datetime | None = None
        if rng.random() < HANDLED_P:
            handled = min(at + timedelta(seconds=rng.randint(1800, 5 * 3600)), last)
        plan.suggestions.append(
            PlannedSuggestion(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                received_at=at,
                text=rng.choice(SUGGESTIONS),
                service=leg.service if rng.random() < NAMED_SERVICE_P else None,
                contact=(
                    f"congdan{rng.randrange(1000):03d}@example.com"
                    if rng.random() < CONTACT_P
                    else None
                ),
                handled_at=handled,
                handled_by=HANDLER if handled else None,
                handled_note=rng.choice(NOTES) if handled else None,
            )
        )
    plan.suggestions.sort(key=lambda s: s.received_at)


def suggestion_values(plan: DayPlan, s: PlannedSuggestion) -> dict[str, Any]:
    """The ``suggestions`` row, as `server.services.suggestions.SuggestionService` stores
    a note received (and then marked handled) — it stamps the live clock, so simulated
    days are written by both writers from these values (received on the plan's local
    day, by construction)."""
    return {
        "id": s.id,
        "site": plan.site,
        "day": plan.day,
        "received_at": s.received_at,
        "text": s.text,
        "service": s.service,
        "contact": s.contact,
        "handled_at": s.handled_at,
        "handled_by": s.handled_by,
        "handled_note": s.handled_note,
    }
