"""The message models of DESIGN.md's MQTT table: JSON round trips, NFC text, strict
inbound validation, tolerant server messages, conduct rules and `decode` errors."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import unicodedata
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError

from protocol import messages as m
from protocol.conduct import CONDUCT_ITEMS, PRAISE_CODES, REASON_CODES, Group
from protocol.decoding import MAX_PAYLOAD_BYTES, InvalidMessage, decode, excerpt
from protocol.messages import Event, ServerMessage

ROOT = Path(__file__).resolve().parents[2]
ICT = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh
AT = datetime(2025, 3, 14, 8, 30, 15, 123000, tzinfo=ICT)
DAY = date(2025, 3, 14)
TID = uuid.UUID("6f1c1b9e-2f4e-4a52-9a1f-8d2f6c3b5a10")
BOOT = uuid.UUID("0b6a5e1c-7d3f-4c11-8e2a-33c4d5e6f708")
NFC_TP = "Tư pháp – Hộ tịch"
NFD_TP = unicodedata.normalize("NFD", NFC_TP)


def issued_ticket(**kw: Any) -> m.IssuedTicket:
    data: dict[str, Any] = {
        "ticket_id": TID,
        "number": "A023",
        "service": "tp",
        "service_name": NFC_TP,
        "priority": "nguoi_cao_tuoi",
        "people_ahead": 3,
        "eta_minutes": 12,
        "issued_at": AT,
        "day": DAY,
    }
    data.update(kw)
    return m.IssuedTicket(**data)


def samples() -> dict[type[BaseModel], BaseModel]:
    """One fully populated instance of every top-level message model."""
    dev = {"sent_at": AT}
    return {
        m.TicketRequest: m.TicketRequest(
            device_id="kiosk-1", service="tp", priority="nguoi_cao_tuoi", **dev
        ),
        m.TicketResponse: m.TicketResponse(
            request_id=uuid.uuid4(),
            ok=True,
            ticket=issued_ticket(),
            refusal=m.Refusal(code="closed", message="Hết giờ làm việc", message_en="Closed"),
        ),
        m.DeskRating: m.DeskRating(
            device_id="pad-q1",
            ticket_id=TID,
            level="very_satisfied",
            praised=["xin_chao", "luon_mim_cuoi"],
            **dev,
        ),
        m.ReserveBlocks: m.ReserveBlocks(
            kiosk_id="kiosk-1",
            day=DAY,
            blocks=[m.ReserveBlock(service="tp", prefix="A", first=900, last=949)],
        ),
        m.OfflineTicket: m.OfflineTicket(
            device_id="kiosk-1",
            ticket_id=TID,
            number="A901",
            service="tp",
            priority="tre_em_duoi_6",
            issued_at=AT,
            day=DAY,
            **dev,
        ),
        m.VisitRating: m.VisitRating(
            device_id="kiosk-1",
            number="B012",
            day=DAY,
            level="dissatisfied",
            reasons=["khong_tre_hen", "xin_loi"],
            partial=True,
            **dev,
        ),
        m.DeskState: m.DeskState(
            desk_id="q1",
            name="Quầy 1",
            services=["tp", "ldtbxh"],
            open=True,
            paused=True,
            pause_reason="Họp giao ban",
            clerk=m.ClerkInfo(id="c01", name="Nguyễn Thị Lan", photo_url="/media/c01.jpg"),
            serving=m.TicketInHand(
                ticket_id=TID,
                number="A023",
                service="tp",
                state="serving",
                called_at=AT,
                started_at=AT + timedelta(minutes=1),
                recall_count=1,
            ),
            awaiting_rating=m.AwaitingRating(
                ticket_id=uuid.uuid4(),
                number="A022",
                service="tp",
                clerk_id="c01",
                done_at=AT,
                expires_at=AT + timedelta(minutes=15),
            ),
            updated_at=AT,
        ),
        m.DeskStats: m.DeskStats(
            desk_id="q1",
            day=DAY,
            served=10,
            no_show=1,
            transferred=2,
            ratings=8,
            satisfied=7,
            satisfaction_pct=87.5,
            response_rate_pct=80.0,
            target_pct=95.0,
            levels={"very_satisfied": 5, "satisfied": 2, "dissatisfied": 1},
            praised={"xin_chao": 3},
            reasons={"khong_tre_hen": 1},
            wait_mean_s=300.5,
            wait_p90_s=600.0,
            service_mean_s=None,
            service_p90_s=None,
            updated_at=AT,
        ),
        m.QueueState: m.QueueState(
            service="tp",
            name=NFC_TP,
            waiting=4,
            waiting_priority=1,
            next_numbers=["A024", "A025"],
            eta_minutes=16,
            open_desks=2,
            longest_wait_s=912.5,
            updated_at=AT,
        ),
        m.BoardCall: m.BoardCall(
            ticket_id=TID,
            number="A023",
            desk_id="q1",
            desk_name="Quầy 1",
            service="tp",
            called_at=AT,
            recall_count=2,
        ),
        m.DeviceStatus: m.DeviceStatus(
            device_id="kiosk-1", state="offline", boot_id=BOOT, since=AT
        ),
        m.DeviceHealth: m.DeviceHealth(
            device_id="kiosk-1",
            app_version="1.2.3",
            boot_id=BOOT,
            printer="paper_near_end",
            outbox_depth=7,
            detail="Giấy sắp hết",
            **dev,
        ),
        m.ServerStatus: m.ServerStatus(
            state="online", boot_id=BOOT, version="0.1.0", since=AT, host="may-chu", pid=4242
        ),
        m.ServerHeartbeat: m.ServerHeartbeat(boot_id=BOOT, sent_at=AT),
        m.Receipt: m.Receipt(device_id="pad-q1", msg_ids=[TID, BOOT]),
        m.Rejected: m.Rejected(
            topic="motcua/v1/gialoc/desk/q1/rating",
            reason="invalid",
            detail="level: Input should be 'very_satisfied'",
            excerpt='{"level": "great"}',
            device_id="pad-q1",
            msg_id=uuid.uuid4(),
            at=AT,
        ),
    }


SAMPLES = samples()
EVENT_SAMPLES = [s for s in SAMPLES.values() if isinstance(s, Event)]
SERVER_SAMPLES = [s for s in SAMPLES.values() if isinstance(s, ServerMessage)]


def _name(value: object) -> str:
    return type(value).__name__


def as_dict(model: BaseModel) -> dict[str, Any]:
    return json.loads(model.to_json())  # type: ignore[attr-defined]


def as_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def invalid(model: type[BaseModel], data: dict[str, Any]) -> InvalidMessage:
    """Decode ``data`` expecting a validation refusal; return the error."""
    with pytest.raises(InvalidMessage) as err:
        decode(model, as_bytes(data))
    assert err.value.code == "invalid"
    return err.value


# ------------------------------------------------------------------ every model


#: The payload column of DESIGN.md's MQTT table, in its order.
DESIGN_TABLE = [
    m.TicketRequest,
    m.TicketResponse,
    m.DeskRating,
    m.ReserveBlocks,
    m.OfflineTicket,
    m.VisitRating,
    m.DeskState,
    m.DeskStats,
    m.QueueState,
    m.BoardCall,
    m.DeviceStatus,
    m.DeviceHealth,
    m.ServerStatus,
    m.Rejected,
]


def test_every_message_model_has_a_sample_here() -> None:
    """Every row of DESIGN.md's table has a model; a model added later needs a sample."""
    top_level = {
        obj
        for obj in vars(m).values()
        if inspect.isclass(obj)
        and issubclass(obj, (Event, ServerMessage))
        and obj.__module__ == m.__name__
        and not obj.__name__.startswith("_")
        and obj not in (Event, ServerMessage)
    }
    assert top_level | {m.DeviceStatus} == set(SAMPLES)
    assert len(DESIGN_TABLE) == 14 and set(DESIGN_TABLE) <= set(SAMPLES)


@pytest.mark.parametrize("sample", list(SAMPLES.values()), ids=_name)
def test_every_model_round_trips_through_json(sample: BaseModel) -> None:
    payload = sample.to_json()  # type: ignore[attr-defined]
    assert isinstance(payload, bytes)
    back = decode(type(sample), payload)
    assert back == sample
    assert back.to_json() == payload  # type: ignore[attr-defined]
    data = json.loads(payload)
    assert data["schema"] == 1, "the envelope field is called `schema` on the wire"
    assert "schema_version" not in data


@pytest.mark.parametrize("sample", EVENT_SAMPLES, ids=_name)
def test_events_carry_the_envelope_with_an_offset_timestamp(sample: Event) -> None:
    data = as_dict(sample)
    assert set(data) >= {"schema", "msg_id", "device_id", "sent_at"}
    assert uuid.UUID(data["msg_id"]) == sample.msg_id
    assert data["sent_at"].endswith("+07:00")
    assert datetime.fromisoformat(data["sent_at"]) == AT


def test_msg_id_is_created_once_and_kept_across_serialisation() -> None:
    a = m.TicketRequest(device_id="kiosk-1", service="tp", sent_at=AT)
    b = m.TicketRequest(device_id="kiosk-1", service="tp", sent_at=AT)
    assert a.msg_id != b.msg_id
    assert decode(m.TicketRequest, a.to_json()).msg_id == a.msg_id
    with pytest.raises(ValidationError):
        a.msg_id = b.msg_id  # type: ignore[misc]  # frozen: a retry cannot get a new id


# ------------------------------------------------------------------ NFC text


def test_decomposed_vietnamese_comes_out_precomposed() -> None:
    assert NFD_TP != NFC_TP and len(NFD_TP) > len(NFC_TP)
    name = "Nguyễn Thị Lan"
    nfd = unicodedata.normalize("NFD", name)
    cases: list[tuple[BaseModel, str, str]] = [
        (issued_ticket(service_name=NFD_TP), "service_name", NFC_TP),
        (
            m.QueueState.model_validate({**as_dict(SAMPLES[m.QueueState]), "name": NFD_TP}),
            "name",
            NFC_TP,
        ),
        (m.ClerkInfo(id="c01", name=nfd), "name", name),
        (
            m.Refusal(code="closed", message=unicodedata.normalize("NFD", "Hết giờ")),
            "message",
            "Hết giờ",
        ),
        (
            m.DeviceHealth.model_validate({**as_dict(SAMPLES[m.DeviceHealth]), "detail": NFD_TP}),
            "detail",
            NFC_TP,
        ),
    ]
    for model, field, expected in cases:
        value = getattr(model, field)
        assert value == expected and unicodedata.is_normalized("NFC", value), (model, field)
        assert expected.encode() in model.to_json()  # type: ignore[attr-defined]


def test_nfd_payload_is_normalised_by_decode() -> None:
    data = as_dict(SAMPLES[m.DeviceHealth])
    data["detail"] = NFD_TP
    health = decode(m.DeviceHealth, as_bytes(data))
    assert health.detail == NFC_TP


def test_length_is_counted_after_normalisation() -> None:
    """40 precomposed letters fit a 40-character field even though NFD has 120 code points."""
    word = "ệ" * 40
    nfd = unicodedata.normalize("NFD", word)
    assert len(nfd) == 120
    data = as_dict(SAMPLES[m.DeviceHealth])
    assert decode(m.DeviceHealth, as_bytes({**data, "app_version": nfd})).app_version == word
    err = invalid(m.DeviceHealth, {**data, "app_version": "ệ" * 41})
    assert "app_version" in err.detail


# ------------------------------------------------------------------ strict / tolerant


@pytest.mark.parametrize("sample", [*EVENT_SAMPLES, SAMPLES[m.DeviceStatus]], ids=_name)
def test_device_messages_refuse_unknown_fields(sample: BaseModel) -> None:
    data = as_dict(sample)
    data["surprise"] = "x"
    err = invalid(type(sample), data)
    assert "surprise" in err.detail


def test_nested_unknown_field_in_a_rating_is_refused_too() -> None:
    data = as_dict(SAMPLES[m.DeskRating])
    data["Level"] = "satisfied"  # a typo of a known field is not silently dropped
    assert "Level" in invalid(m.DeskRating, data).detail


@pytest.mark.parametrize("sample", SERVER_SAMPLES, ids=_name)
def test_server_messages_ignore_unknown_fields(sample: ServerMessage) -> None:
    """Forward compatibility: a newer server may add fields an older kiosk does not know."""
    data = as_dict(sample)
    data["added_in_v2"] = {"anything": [1, 2, 3]}
    data["schema"] = 2
    back = decode(type(sample), as_bytes(data))
    assert back.model_dump(exclude={"schema_version"}) == sample.model_dump(
        exclude={"schema_version"}
    )
    assert back.schema_version == 2
    assert "added_in_v2" not in back.to_json().decode()


def test_nested_server_parts_ignore_unknown_fields() -> None:
    data = as_dict(SAMPLES[m.TicketResponse])
    data["ticket"]["counter_colour"] = "blue"
    data["refusal"]["hint"] = "later"
    back = decode(m.TicketResponse, as_bytes(data))
    assert back == SAMPLES[m.TicketResponse]


# ------------------------------------------------------------------ bounds


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (m.TicketRequest, "device_id", "k" * 33),
        (m.TicketRequest, "service", "s" * 17),
        (m.TicketRequest, "priority", "p" * 33),
        (m.DeviceHealth, "app_version", "1" * 41),
        (m.DeviceHealth, "detail", "ấ" * 201),
        (m.OfflineTicket, "number", "A12345"),
        (m.DeskRating, "praised", ["xin_chao"] * 14),
        (m.QueueState, "name", "Q" * 81),
        (m.Rejected, "excerpt", "x" * 301),
        (m.Rejected, "detail", "x" * 501),
    ],
)
def test_over_long_values_are_refused(model: type[BaseModel], field: str, value: Any) -> None:
    data = as_dict(SAMPLES[model])
    data[field] = value
    assert field in invalid(model, data).detail


def test_a_full_receipt_fits_the_payload_limit() -> None:
    """At most 300 ids, so even a full receipt stays under MAX_PAYLOAD_BYTES."""
    ids = [uuid.uuid4() for _ in range(301)]
    full = m.Receipt(device_id="pad-q1", msg_ids=ids[:300])
    assert len(full.to_json()) < MAX_PAYLOAD_BYTES
    assert decode(m.Receipt, full.to_json()).msg_ids == ids[:300]
    with pytest.raises(ValidationError, match="msg_ids"):
        m.Receipt(device_id="pad-q1", msg_ids=ids)


def test_strings_at_the_limit_are_accepted() -> None:
    data = as_dict(SAMPLES[m.DeviceHealth])
    health = decode(m.DeviceHealth, as_bytes({**data, "detail": "ấ" * 200}))
    assert health.detail == "ấ" * 200


def test_control_characters_are_refused_in_text() -> None:
    data = as_dict(SAMPLES[m.DeviceHealth])
    assert "detail" in invalid(m.DeviceHealth, {**data, "detail": "giấy\x00hết"}).detail


#: Device clocks the server must refuse: the first two overflowed when the local day was
#: computed and lost whole batches; the others are just outside 2000–2100.
FAR_TIMES = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "1999-12-31T23:59:59+07:00",
    "2101-01-01T00:00:00+07:00",
]
FAR_DAYS = ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"]
#: Python's json refuses to turn more than 4,300 digits into an int (ValueError).
HUGE_NUMBER = "1" * 15_000
INBOUND_SAMPLES = [*EVENT_SAMPLES, SAMPLES[m.DeviceStatus]]


def with_raw(sample: BaseModel, key: str, raw: str) -> bytes:
    """``sample`` as JSON with ``raw`` (JSON text, e.g. a 15,000-digit number) at ``key``."""
    data = as_dict(sample)
    data[key] = "@RAW@"
    return as_bytes(data).replace(b'"@RAW@"', raw.encode())


def _bound_probes() -> list[Any]:
    """(sample, key, raw JSON) for every timestamp, day and number of every device message."""
    probes = []
    for sample in INBOUND_SAMPLES:
        for name, info in type(sample).model_fields.items():
            value = getattr(sample, name)
            if isinstance(value, datetime):
                raws = [json.dumps(t) for t in FAR_TIMES]
            elif isinstance(value, date):
                raws = [json.dumps(d) for d in FAR_DAYS]
            elif isinstance(value, int) and not isinstance(value, bool):
                raws = [HUGE_NUMBER, "-" + HUGE_NUMBER]
            else:
                continue
            key = info.alias or name
            probes += [
                pytest.param(sample, key, raw, id=f"{_name(sample)}.{key}={raw[:14]}")
                for raw in raws
            ]
    return probes


BOUND_PROBES = _bound_probes()


def test_the_bound_probes_cover_every_kind_of_field() -> None:
    keys = {(_name(p.values[0]), p.values[1]) for p in BOUND_PROBES}
    assert {
        ("TicketRequest", "sent_at"),
        ("TicketRequest", "schema"),
        ("OfflineTicket", "issued_at"),
        ("OfflineTicket", "day"),
        ("VisitRating", "day"),
        ("DeviceHealth", "outbox_depth"),
        ("DeviceStatus", "since"),
    } <= keys


@pytest.mark.parametrize(("sample", "key", "raw"), BOUND_PROBES)
def test_device_timestamps_days_and_numbers_out_of_bounds_are_refused(
    sample: BaseModel, key: str, raw: str
) -> None:
    """Years outside 2000–2100 and absurd numbers are a clean ``invalid`` naming the field,
    never an OverflowError or a ValueError later on."""
    payload = with_raw(sample, key, raw)
    assert len(payload) <= MAX_PAYLOAD_BYTES
    with pytest.raises(InvalidMessage) as err:
        decode(type(sample), payload)
    assert err.value.code == "invalid"
    assert key in err.value.detail or "digits" in err.value.detail


@pytest.mark.parametrize("raw", [HUGE_NUMBER, "-" + HUGE_NUMBER, f"[{HUGE_NUMBER}]"])
def test_a_15000_digit_number_anywhere_is_refused_as_invalid(raw: str) -> None:
    """Also in an unknown field or nested: json's own int() would raise ValueError."""
    sample = SAMPLES[m.TicketRequest]
    with pytest.raises(InvalidMessage) as err:
        decode(m.TicketRequest, with_raw(sample, "surplus", raw))
    assert err.value.code == "invalid"


@pytest.mark.parametrize("sent_at", ["2000-01-01T00:00:00+23:59", "2100-12-31T23:59:59-23:59"])
def test_timestamps_at_the_bounds_convert_to_utc_and_local_time(sent_at: str) -> None:
    data = as_dict(SAMPLES[m.TicketRequest])
    data["sent_at"] = sent_at
    sent = decode(m.TicketRequest, as_bytes(data)).sent_at
    assert sent.astimezone(UTC).year in (1999, 2101)
    assert sent.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date().year in (1999, 2101)
    assert sent.timestamp()


def test_server_messages_keep_any_date() -> None:
    """Bounds are for what devices send; a device reads the server's messages tolerantly."""
    data = as_dict(SAMPLES[m.TicketResponse])
    data["ticket"]["day"] = "1999-12-31"
    data["ticket"]["issued_at"] = "2150-01-01T00:00:00+07:00"
    back = decode(m.TicketResponse, as_bytes(data))
    assert back.ticket is not None and back.ticket.day == date(1999, 12, 31)


@pytest.mark.parametrize("device_id", ["Kiosk-1", "kiosk/1", "", "-kiosk", "kiosk 1", "ki+"])
def test_identifiers_that_would_break_topics_are_refused(device_id: str) -> None:
    data = as_dict(SAMPLES[m.TicketRequest])
    assert "device_id" in invalid(m.TicketRequest, {**data, "device_id": device_id}).detail


def test_naive_sent_at_is_refused() -> None:
    with pytest.raises(ValidationError, match="sent_at"):
        m.TicketRequest(device_id="kiosk-1", service="tp", sent_at=datetime(2025, 3, 14, 8, 30))
    data = as_dict(SAMPLES[m.TicketRequest])
    data["sent_at"] = "2025-03-14T08:30:00"
    assert "sent_at" in invalid(m.TicketRequest, data).detail
    data["sent_at"] = "2025-03-14T01:30:00Z"
    assert decode(m.TicketRequest, as_bytes(data)).sent_at == AT.replace(second=0, microsecond=0)


def test_a_newer_schema_from_a_device_is_refused() -> None:
    data = as_dict(SAMPLES[m.TicketRequest])
    data["schema"] = 2
    assert "schema" in invalid(m.TicketRequest, data).detail


# ------------------------------------------------------------------ conduct rules


def rating(level: str, praised: list[str] | None = None, reasons: list[str] | None = None):
    return m.DeskRating(
        device_id="pad-q1",
        sent_at=AT,
        ticket_id=TID,
        level=level,
        praised=praised or [],
        reasons=reasons or [],
    )


def test_praise_codes_are_exactly_the_4_xin_and_4_luon_items() -> None:
    assert {i.code for i in CONDUCT_ITEMS if i.group is not Group.KHONG} == PRAISE_CODES
    assert len(PRAISE_CODES) == 8
    assert {i.code for i in CONDUCT_ITEMS} == REASON_CODES and len(REASON_CODES) == 13


@pytest.mark.parametrize("level", ["very_satisfied", "satisfied"])
def test_all_4_xin_4_luon_items_may_be_praised_after_a_positive_level(level: str) -> None:
    r = rating(level, praised=sorted(PRAISE_CODES))
    assert set(r.praised) == PRAISE_CODES


def test_a_5_khong_item_cannot_be_praised() -> None:
    with pytest.raises(ValidationError, match="4 Xin / 4 Luôn"):
        rating("very_satisfied", praised=["xin_chao", "khong_tre_hen"])


@pytest.mark.parametrize("level", ["dissatisfied", "neutral", "very_dissatisfied"])
def test_praise_needs_a_positive_level(level: str) -> None:
    with pytest.raises(ValidationError, match="positive level"):
        rating(level, praised=["xin_chao"])


@pytest.mark.parametrize("level", ["dissatisfied", "neutral", "very_dissatisfied"])
def test_every_item_may_be_a_reason_after_a_negative_level(level: str) -> None:
    r = rating(level, reasons=sorted(REASON_CODES))
    assert set(r.reasons) == REASON_CODES  # 5 Không violations and missed 4 Xin / 4 Luôn


@pytest.mark.parametrize("level", ["very_satisfied", "satisfied"])
def test_reasons_need_a_negative_level(level: str) -> None:
    with pytest.raises(ValidationError, match="negative level"):
        rating(level, reasons=["khong_tre_hen"])


def test_unknown_conduct_codes_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown reason"):
        rating("dissatisfied", reasons=["khong_vui"])
    with pytest.raises(ValidationError, match="4 Xin / 4 Luôn"):
        rating("satisfied", praised=["xin_hoi"])


@pytest.mark.parametrize(
    ("level", "field"), [("very_satisfied", "praised"), ("dissatisfied", "reasons")]
)
def test_conduct_items_must_not_repeat(level: str, field: str) -> None:
    with pytest.raises(ValidationError, match="must not repeat") as err:
        rating(level, **{field: ["xin_chao", "xin_loi", "xin_chao"]})
    assert err.value.errors()[0]["loc"] == (field,)


def test_a_level_alone_is_a_valid_rating() -> None:
    r = rating("dissatisfied")
    assert (r.praised, r.reasons, r.partial) == ([], [], False)


def test_visit_rating_refers_to_exactly_one_ticket() -> None:
    base: dict[str, Any] = {"device_id": "kiosk-1", "sent_at": AT, "level": "satisfied"}
    assert m.VisitRating(**base, ticket_id=TID).number is None
    assert m.VisitRating(**base, number="A023").ticket_id is None
    for refs in ({}, {"ticket_id": TID, "number": "A023"}):
        with pytest.raises(ValidationError, match="exactly one of ticket_id or number"):
            m.VisitRating(**base, **refs)


def test_visit_rating_applies_the_same_conduct_rules() -> None:
    with pytest.raises(ValidationError, match="positive level"):
        m.VisitRating(
            device_id="kiosk-1",
            sent_at=AT,
            number="A023",
            level="dissatisfied",
            praised=["xin_chao"],
        )


# ------------------------------------------------------------------ decode / excerpt


def test_decode_refuses_too_large_payloads_before_parsing() -> None:
    big = b"{" + b" " * MAX_PAYLOAD_BYTES + b"}"
    with pytest.raises(InvalidMessage) as err:
        decode(m.TicketRequest, big)
    assert err.value.code == "too_large"
    assert str(MAX_PAYLOAD_BYTES) in err.value.detail


def test_decode_accepts_a_payload_of_exactly_the_limit() -> None:
    payload = SAMPLES[m.TicketRequest].to_json()  # type: ignore[attr-defined]
    padded = payload[:-1] + b" " * (MAX_PAYLOAD_BYTES - len(payload)) + b"}"
    assert len(padded) == MAX_PAYLOAD_BYTES
    assert decode(m.TicketRequest, padded) == SAMPLES[m.TicketRequest]


def test_decode_reports_bad_utf8_with_its_position() -> None:
    with pytest.raises(InvalidMessage) as err:
        decode(m.TicketRequest, b'{"service": "t\xffp"}')
    assert err.value.code == "bad_utf8"
    assert "byte 14" in err.value.detail


@pytest.mark.parametrize("payload", [b'{"service": ', b"", b"nan-sense", b"[1, 2]", b'"tp"'])
def test_decode_reports_bad_json(payload: bytes) -> None:
    with pytest.raises(InvalidMessage) as err:
        decode(m.TicketRequest, payload)
    assert err.value.code == "bad_json"
    assert err.value.detail
    assert str(err.value).startswith("bad_json: ")


def test_decode_reports_absurd_nesting_as_bad_json() -> None:
    deep = b"[" * 8000 + b"]" * 8000
    assert len(deep) <= MAX_PAYLOAD_BYTES
    with pytest.raises(InvalidMessage) as err:
        decode(m.TicketRequest, deep)
    assert err.value.code == "bad_json"


def test_decode_names_the_failing_field_readably() -> None:
    data = as_dict(SAMPLES[m.DeskRating])
    del data["ticket_id"]
    data["level"] = "great"
    err = invalid(m.DeskRating, data)
    assert "ticket_id: Field required" in err.detail
    assert "level:" in err.detail and "very_satisfied" in err.detail
    assert isinstance(err, ValueError) and str(err).startswith("invalid: ")


def test_decode_summarises_many_errors() -> None:
    err = invalid(m.DeskStats, {"surplus_1": 1, "surplus_2": 2})
    assert "… and" in err.detail and "more" in err.detail
    assert len(err.detail) < 600


def test_excerpt_is_bounded_and_printable() -> None:
    raw = ("Tư pháp\n\x00\x1b[31m" + "ấ" * 500).encode() + b"\xff\xfe"
    text = excerpt(raw)
    assert len(text) <= 200
    assert text.isprintable()
    assert text.startswith("Tư pháp")
    assert "\x00" not in text and "\x1b" not in text and "\n" not in text
    assert len(excerpt(raw, limit=20)) == 20


def test_excerpt_is_nfc_and_bounded_after_normalisation() -> None:
    text = excerpt(NFD_TP.encode() * 40, limit=50)
    assert unicodedata.is_normalized("NFC", text)
    assert text.startswith(NFC_TP)
    assert len(text) == 50


def test_excerpt_replaces_invalid_utf8_and_fits_a_rejected_message() -> None:
    text = excerpt(b"\xff\xfe{" + b"x" * 1000)
    assert text.startswith("\ufffd")
    assert text.isprintable()
    rejected = m.Rejected(
        topic="motcua/v1/gialoc/kiosk/kiosk-1/rating",
        reason="bad_utf8",
        detail="not UTF-8 at byte 0",
        excerpt=text,
        at=AT,
    )
    assert decode(m.Rejected, rejected.to_json()).excerpt == text


# ------------------------------------------------------------------ import hygiene


def test_protocol_imports_no_kivy_fastapi_or_sqlalchemy() -> None:
    """Kiosks import `protocol`: it must not pull in a GUI, a web framework or an ORM."""
    modules = sorted(p.stem for p in (ROOT / "protocol").glob("*.py") if p.stem != "__init__")
    assert {"link", "messages", "topics", "outbox", "settings", "text", "conduct"} <= set(modules)
    code = (
        "import sys\n"
        "import protocol\n"
        + "".join(f"import protocol.{name}\n" for name in modules)
        + "banned = {'kivy', 'fastapi', 'sqlalchemy', 'starlette', 'server'}\n"
        "found = sorted(n for n in sys.modules if n.split('.')[0] in banned)\n"
        "assert not found, found\n"
        "print('clean')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"
