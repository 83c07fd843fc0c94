"""The MQTT boundary's translator (`server.ingest.rejections`): a refused ticket request
is answered with its code and sentences — the domain's own, the catalog's, or for a
device's own fault a generic sentence and the detail — and every refusal is recorded."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from protocol.errors import MotcuaError
from protocol.refusals import Reason
from server.config import SiteConfig
from server.ingest.admission import Admission, Inbound
from server.ingest.batch import Outcome
from server.ingest.rejections import Refused, Rejections
from server.queue.errors import QueueError

NOW = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)


def _refuse(site: SiteConfig, refusal: MotcuaError) -> tuple[Outcome, dict[str, str] | None]:
    kiosk = site.kiosk_ids[0]
    payload = json.dumps({"msg_id": str(uuid.uuid4()), "device_id": kiosk}).encode()
    topic = site.topics.ticket_request(kiosk)
    item = Inbound(topic, payload, NOW, site.topics.parse(topic))
    out = Outcome()
    Rejections(site, Admission(site)).reject(out, item, refusal)
    if not out.replies:
        return out, None
    answer = json.loads(out.replies[0][1])
    assert answer["ok"] is False
    return out, answer["refusal"]


@pytest.mark.parametrize(
    ("refusal", "said"),
    [
        (
            QueueError(Reason.UNKNOWN_SERVICE, service="zz"),
            ("Không có lĩnh vực “zz”", "unknown service 'zz'"),
        ),
        (
            Refused(Reason.REQUEST_EXPIRED, "request is 90 s old (limit 30 s)"),
            ("Yêu cầu đã quá hạn", "request expired"),
        ),
        (
            Refused(Reason.SENT_IN_FUTURE, "sent_at is 600 s later than the server clock"),
            (
                "Đồng hồ của máy lấy số chạy nhanh hơn máy chủ",
                "the kiosk's clock is ahead of the server's",
            ),
        ),
        (
            Refused(Reason.INTERNAL_ERROR, "KeyError: 'x'"),
            ("Máy chủ gặp lỗi, chưa cấp được số", "server error: no number was issued"),
        ),
        (
            Refused(Reason.BAD_JSON, "not JSON: Expecting value at 0"),
            ("Yêu cầu không hợp lệ", "not JSON: Expecting value at 0"),
        ),
        (
            Refused(
                Reason.UNKNOWN_DEVICE, "no device 'k9' in the site configuration", variant="mqtt"
            ),
            ("Yêu cầu không hợp lệ", "no device 'k9' in the site configuration"),
        ),
    ],
)
def test_a_refused_ticket_request_is_answered_in_both_languages(
    site: SiteConfig, refusal: MotcuaError, said: tuple[str, str]
) -> None:
    out, answer = _refuse(site, refusal)
    assert answer == {"code": refusal.code, "message": said[0], "message_en": said[1]}
    [rejected] = out.rejected
    assert (rejected.reason, rejected.detail) == (refusal.code, refusal.detail)


def test_a_long_detail_is_cut_for_the_kiosk_not_for_the_record(site: SiteConfig) -> None:
    detail = "x" * 300
    out, answer = _refuse(site, Refused(Reason.INVALID, detail))
    assert answer is not None and answer["message_en"] == "x" * 80
    assert out.rejected[0].detail == detail


def test_an_answered_duplicate_is_recorded_but_not_answered_again(site: SiteConfig) -> None:
    out, answer = _refuse(site, Refused(Reason.DUPLICATE, "already processed", answered=True))
    assert answer is None and out.rejected[0].reason == "duplicate"
