"""Bad input from devices is refused with a clear reason, recorded, reported, and harmless.

Issue 2 / DESIGN.md ("MQTT contract", rules): a message that fails validation is stored
in ``rejected_messages``, reported on ``server/rejected`` with a machine-readable
``reason``, never changes anything, and never crashes the ingest; ``/api/health``
stays green and valid traffic keeps working afterwards.

One server per (broker, database) pair is shared by every case of this module (a
module-scoped fixture), so the table of cases stays fast. Each case is one test item:
it arranges what it needs (tickets issued, called, done or rated through the real
kiosk link and the clerk HTTP API), publishes one bad message as the *legitimate*
device, so the broker's ACL lets it through and only the server can refuse it, then
checks the report, the stored row, the reply to the kiosk where the ingest sends
one, that nothing was stored, and that the server is still healthy.

A few topics cannot be reached by any device because the broker's ACL stops them
(a kiosk publishes only under its own id, a pad only to its own desk's rating). The
server checks those rules again (defence in depth, e.g. behind a broker with looser
ACLs); those cases are published with the server's own broker account, which may
write anywhere under the site root. What the broker itself blocks is tested in
``test_broker_security.py``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select

from protocol.link import MqttLink
from protocol.messages import (
    DeviceHealth,
    DeviceStatus,
    IssuedTicket,
    OfflineTicket,
    TicketRequest,
    TicketResponse,
    VisitRating,
)
from protocol.topics import Topics
from server.app import create_app
from server.config import SiteConfig
from server.db.tables import (
    DeviceRow,
    ProcessedMessageRow,
    RatingRow,
    RejectedMessageRow,
    TicketRow,
)
from server.runtime import ServerRuntime
from server.timeutil import local_day
from tests.conftest import make_runtime
from tests.support.devices import (
    Watcher,
    device_link,
    rating,
    request_ticket,
    settings_for,
    started,
)
from tests.support.http import act, login
from tests.support.services import (
    TOOL_PASSWORD,
    Broker,
    create_pg_database,
    sqlite_url,
    start_mosquitto,
    tool_account,
)
from tests.support.sites import make_site
from tests.support.waiting import eventually

WAIT_S = 10.0

# ----------------------------------------------------------------------------- the server


@dataclass
class Env:
    """One running server with its broker, the devices that talk to it, and watchers."""

    site: SiteConfig
    broker: Broker
    rt: ServerRuntime
    api: TestClient
    kiosk: MqttLink
    pad: MqttLink
    #: An account with the server's rights: reaches topics the ACL closes to devices.
    injector: MqttLink
    rejected: Watcher
    replies: Watcher
    clerks: dict[str, dict[str, str]]
    crashes: list[logging.LogRecord] = field(default_factory=list)

    @property
    def topics(self) -> Topics:
        return self.site.topics

    def counts(self) -> tuple[int, int]:
        """(tickets, ratings) stored so far."""
        with self.rt.db.read() as s:
            tickets = s.scalar(select(func.count()).select_from(TicketRow)) or 0
            ratings = s.scalar(select(func.count()).select_from(RatingRow)) or 0
        return int(tickets), int(ratings)


class _CrashLog(logging.Handler):
    """Collects the ingest worker's "worker error" records: a batch that blew up instead of
    being refused message by message (the worker survives, the batch is lost)."""

    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "ingest worker error":
            self.sink.append(record)


# One broker: the one-box server runs Mosquitto with the same configuration.
_COMBOS = [
    pytest.param(("mosquitto", "sqlite"), id="mosquitto-sqlite"),
    pytest.param(("mosquitto", "postgres"), id="mosquitto-postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module", params=_COMBOS)
def env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A server on one (broker, database) pair, shared by every test of the module; two
    clerks have opened desks q1 and q2."""
    broker_kind, db_kind = request.param
    tmp = tmp_path_factory.mktemp(f"bad-input-{broker_kind}-{db_kind}")
    site = make_site()
    with contextlib.ExitStack() as stack:
        if db_kind == "sqlite":
            db_url = sqlite_url(tmp)
        else:
            pg = create_pg_database()
            stack.callback(pg.drop)
            db_url = pg.url
        broker = start_mosquitto(site, tmp / "mq")
        stack.callback(broker.stop)
        crashes: list[logging.LogRecord] = []
        handler = _CrashLog(crashes)
        gw_log = logging.getLogger("server.ingest")
        gw_log.addHandler(handler)
        stack.callback(gw_log.removeHandler, handler)
        rt = make_runtime(site, db_url, broker)
        stack.callback(rt.stop)
        api = stack.enter_context(TestClient(create_app(rt)))
        root = site.topics.root
        rejected = Watcher(site, broker, f"{root}/server/rejected")
        stack.callback(rejected.stop)
        replies = Watcher(
            site, broker, f"{root}/kiosk/+/ticket/response", tool_account(), TOOL_PASSWORD
        )
        stack.callback(replies.stop)
        links = []
        for device in ("kiosk-1", "pad-q1"):
            link = device_link(site, broker, device, tmp)
            stack.callback(link.stop)
            links.append(started(link))
        tool = tool_account()
        injector = MqttLink(
            settings_for(broker, site, tool, TOOL_PASSWORD),
            site.site.code,
            tool,
            client_id="bad-input-injector",
            clean_session=True,
            announce_status=False,
        )
        stack.callback(injector.stop, announce_offline=False)
        started(injector)
        clerks = {}
        for desk, (user, clerk) in {"q1": ("lan", "c01"), "q2": ("hung", "c02")}.items():
            clerks[desk] = login(api, rt, user, "clerk", clerk)
            r = act(api, clerks[desk], desk, "open")
            assert r.status_code == 200, r.text
        yield Env(
            site=site,
            broker=broker,
            rt=rt,
            api=api,
            kiosk=links[0],
            pad=links[1],
            injector=injector,
            rejected=rejected,
            replies=replies,
            clerks=clerks,
            crashes=crashes,
        )


# ----------------------------------------------------------------------------- arranging


def _now() -> datetime:
    return datetime.now(UTC)


def _issue(env: Env, service: str = "tp") -> IssuedTicket:
    resp = request_ticket(env.kiosk, service)
    assert resp.ok and resp.ticket is not None, resp
    return resp.ticket


def _desk(env: Env, desk: str, action: str, **body: str) -> None:
    r = act(env.api, env.clerks[desk], desk, action, **body)
    assert r.status_code == 200, f"{desk} {action}: {r.status_code} {r.text}"


def _called(env: Env, desk: str) -> IssuedTicket:
    """A new ticket, called to ``desk`` by number (FIFO leftovers cannot interfere)."""
    ticket = _issue(env)
    _desk(env, desk, "call-number", number=ticket.number)
    return ticket


def _done(env: Env, desk: str) -> IssuedTicket:
    """A new ticket served and finished at ``desk`` just now: ready to be rated."""
    ticket = _called(env, desk)
    _desk(env, desk, "start")
    _desk(env, desk, "done")
    return ticket


def _rating_stored(env: Env, msg_id: uuid.UUID) -> bool:
    with env.rt.db.read() as s:
        return s.scalar(select(RatingRow.id).where(RatingRow.msg_id == msg_id)) is not None


def _rated(env: Env) -> tuple[IssuedTicket, bytes]:
    """A ticket done at q1 and rated by pad-q1 (stored); returns the rating's payload."""
    ticket = _done(env, "q1")
    r = rating("pad-q1", ticket.ticket_id, "satisfied", praised=["xin_chao"])
    payload = r.to_json()
    env.pad.publish(env.topics.desk_rating("q1"), payload)
    eventually(lambda: _rating_stored(env, r.msg_id), f"valid rating {r.msg_id} stored", WAIT_S)
    return ticket, payload


def _finished_long_ago(env: Env, desk: str, minutes: int) -> uuid.UUID:
    """A ticket finished at ``desk`` ``minutes`` ago, written straight to the database
    (as tests/support/seed.py does): the clerk API can only finish a visit *now*."""
    ended = _now() - timedelta(minutes=minutes)
    tid = uuid.uuid4()
    with env.rt.db.write() as s:
        s.add(
            TicketRow(
                id=tid,
                site=env.site.site.code,
                service="tp",
                day=local_day(ended, env.site.tz),
                seq=None,
                number="A990",
                priority=None,
                state="done",
                issued_at=ended - timedelta(minutes=10),
                first_called_at=ended - timedelta(minutes=5),
                called_at=ended - timedelta(minutes=5),
                started_at=ended - timedelta(minutes=4),
                ended_at=ended,
                desk_id=desk,
                clerk_id="c01",
                recall_count=0,
                kiosk_id=None,
                offline=False,
                transferred_from=None,
            )
        )
    return tid


def _envelope(device_id: str, msg_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """The common event envelope as a plain dict (so tests can break it at will)."""
    return {
        "schema": 1,
        "msg_id": msg_id or str(uuid.uuid4()),
        "device_id": device_id,
        "sent_at": _now().isoformat(),
        **fields,
    }


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


# ----------------------------------------------------------------------------- cases


@dataclass
class Probe:
    """One bad message, ready to publish, and what the server must answer to it."""

    sender: MqttLink
    topic: str
    payload: bytes
    #: A string that appears in the report's ``msg_id`` or ``excerpt`` (None: the payload
    #: is empty, so match the report by topic and empty excerpt).
    token: str | None
    #: Refusal code expected on ``ticket/response``, ``"original"`` for a replay that
    #: gets its first answer again, or None when the ingest sends no reply.
    reply: str | None = None
    original_number: str | None = None
    #: The msg_id was applied before (a replay): its processed row and rating stay.
    replay: bool = False
    cleanup: Callable[[], None] | None = None

    def matches(self, report: dict[str, Any]) -> bool:
        if self.token is None:
            return report.get("topic") == self.topic and report.get("excerpt") == ""
        return report.get("msg_id") == self.token or self.token in report.get("excerpt", "")


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    make: Callable[[Env], Probe]


def _ticket_request(env: Env, payload: bytes, token: str | None, reply: str | None = None) -> Probe:
    topic = env.topics.ticket_request("kiosk-1")
    return Probe(env.kiosk, topic, payload, token, reply=reply)


def _req(env: Env, msg_id: str, **overrides: Any) -> bytes:
    """A valid ticket request from kiosk-1 as JSON, with ``overrides`` applied
    (a value of ``...`` removes the field)."""
    data = _envelope("kiosk-1", msg_id, service="tp")
    for k, v in overrides.items():
        if v is ...:
            data.pop(k, None)
        else:
            data[k] = v
    return _json(data)


def _tok() -> str:
    return str(uuid.uuid4())


# --- envelope and parsing (kiosk-1 → its own ticket/request) --------------------------


def _bad_json(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, f'{{"msg_id": "{t}", "service": "tp"'.encode(), t)


def _bad_utf8(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, f'{{"msg_id": "{t}", "service": "'.encode() + b'\xff\xfe"}', t)


def _not_object(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _json([t, "tp"]), t)


def _empty(env: Env) -> Probe:
    return _ticket_request(env, b"", None)


def _too_large(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, padding="x" * (17 * 1024)), t)


def _wrong_type(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, service=123), t)


def _missing_field(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, service=...), t)


def _unknown_field(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, citizen_name="Nguyễn Văn A"), t)


def _huge_service(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, service="t" * 10_000), t)


def _bad_msg_id(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t + "-x", service="tp"), t)


def _naive_sent_at(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, sent_at="2025-01-02T08:00:00"), t)


def _future_schema(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, schema=2), t)


def _bad_device_id(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, device_id="Kiosk 1"), t)


# --- ticket requests the server refuses on their meaning ------------------------------


def _unknown_service(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, service="zz"), t, reply="unknown_service")


def _unknown_priority(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, priority="vip"), t, reply="unknown_priority")


def _request_device_mismatch(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, device_id="kiosk-2"), t)


def _stale_request(env: Env) -> Probe:
    t = _tok()
    ttl = env.site.calling.request_ttl_s
    sent = (_now() - timedelta(seconds=ttl * 4)).isoformat()
    return _ticket_request(env, _req(env, t, sent_at=sent), t, reply="request_expired")


def _replayed_request(env: Env) -> Probe:
    topics = env.topics
    req = TicketRequest(device_id="kiosk-1", sent_at=_now(), service="tp")
    first = env.kiosk.request(
        topics.ticket_request("kiosk-1"),
        req,
        topics.ticket_response("kiosk-1"),
        TicketResponse,
        WAIT_S,
    )
    assert first.ok and first.ticket is not None
    probe = _ticket_request(env, req.to_json(), str(req.msg_id), reply="original")
    probe.original_number = first.ticket.number
    probe.replay = True
    return probe


def _offline(env: Env, number: str) -> Probe:
    msg = OfflineTicket(
        device_id="kiosk-1",
        sent_at=_now(),
        ticket_id=uuid.uuid4(),
        number=number,
        service="tp",
        issued_at=_now(),
        day=local_day(_now(), env.site.tz),
    )
    return Probe(env.kiosk, env.topics.ticket_offline("kiosk-1"), msg.to_json(), str(msg.msg_id))


def _reserve_first(env: Env, kiosk: str) -> int:
    """First number of ``kiosk``'s reserve block of Tư pháp today (allocated at start-up)."""
    with env.rt.db.write() as s:
        reserve = env.rt.engine.reserve_blocks(s, kiosk)
    return next(b.first for b in reserve.blocks if b.service == "tp")


def _offline_outside_reserve(env: Env) -> Probe:
    """An offline ticket with a number no kiosk was given (past the reserve zone)."""
    return _offline(env, f"A{env.site.reserve_zone[1] + 1}")


def _offline_other_kiosks_block(env: Env) -> Probe:
    """kiosk-1 claims a number of kiosk-2's block."""
    return _offline(env, f"A{_reserve_first(env, 'kiosk-2')}")


# --- ratings from pad-q1 on desk/q1/rating --------------------------------------------


def _pad_rating(env: Env, payload: bytes, token: str) -> Probe:
    return Probe(env.pad, env.topics.desk_rating("q1"), payload, token)


def _rating_json(ticket_id: uuid.UUID, msg_id: str, **fields: Any) -> bytes:
    data = _envelope("pad-q1", msg_id, ticket_id=str(ticket_id), level="satisfied")
    data.update(fields)
    return _json(data)


def _unknown_ticket(env: Env) -> Probe:
    t = _tok()
    return _pad_rating(env, _rating_json(uuid.uuid4(), t), t)


def _not_done(env: Env) -> Probe:
    ticket = _called(env, "q1")
    t = _tok()
    probe = _pad_rating(env, _rating_json(ticket.ticket_id, t), t)

    def finish() -> None:
        _desk(env, "q1", "start")
        _desk(env, "q1", "done")

    probe.cleanup = finish
    return probe


def _already_rated(env: Env) -> Probe:
    ticket, _ = _rated(env)
    t = _tok()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, level="dissatisfied"), t)


def _replayed_rating(env: Env) -> Probe:
    _, payload = _rated(env)
    probe = _pad_rating(env, payload, json.loads(payload)["msg_id"])
    probe.replay = True
    return probe


def _not_desk_pad(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, device_id="pad-q2"), t)


def _wrong_desk(env: Env) -> Probe:
    ticket = _done(env, "q2")
    t = _tok()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t), t)


def _before_done(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    sent = (_now() - timedelta(minutes=10)).isoformat()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, sent_at=sent), t)


def _sent_in_future(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    sent = (_now() + timedelta(minutes=10)).isoformat()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, sent_at=sent), t)


def _window_expired(env: Env) -> Probe:
    window = env.site.rating.window_minutes
    tid = _finished_long_ago(env, "q1", window + 5)
    t = _tok()
    return _pad_rating(env, _rating_json(tid, t), t)


def _bad_level(env: Env) -> Probe:
    ticket = _done(env, "q1")
    assert env.site.rating.scale == 3
    t = _tok()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, level="neutral"), t)


def _unknown_level(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, level="great"), t)


def _praise_with_negative(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    payload = _rating_json(ticket.ticket_id, t, level="dissatisfied", praised=["xin_chao"])
    return _pad_rating(env, payload, t)


def _reasons_with_positive(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    payload = _rating_json(ticket.ticket_id, t, level="satisfied", reasons=["khong_tre_hen"])
    return _pad_rating(env, payload, t)


def _unknown_conduct_item(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    payload = _rating_json(ticket.ticket_id, t, level="very_satisfied", praised=["xin_hat"])
    return _pad_rating(env, payload, t)


def _repeated_item(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    payload = _rating_json(ticket.ticket_id, t, praised=["xin_chao", "xin_chao"])
    return _pad_rating(env, payload, t)


# --- "rate a visit" at kiosk-1 ----------------------------------------------------------


def _kiosk_rating(env: Env, payload: bytes, token: str) -> Probe:
    return Probe(env.kiosk, env.topics.kiosk_rating("kiosk-1"), payload, token)


def _kiosk_both_refs(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    data = _envelope(
        "kiosk-1", t, ticket_id=str(ticket.ticket_id), number=ticket.number, level="satisfied"
    )
    return _kiosk_rating(env, _json(data), t)


def _kiosk_unknown_number(env: Env) -> Probe:
    msg = VisitRating(device_id="kiosk-1", sent_at=_now(), number="Z999", level="satisfied")
    return _kiosk_rating(env, msg.to_json(), str(msg.msg_id))


def _kiosk_device_mismatch(env: Env) -> Probe:
    ticket = _done(env, "q1")
    msg = VisitRating(
        device_id="kiosk-2", sent_at=_now(), ticket_id=ticket.ticket_id, level="satisfied"
    )
    return _kiosk_rating(env, msg.to_json(), str(msg.msg_id))


# --- device topics of kiosk-1 (not retained: a retained bad status would come back) ----


def _status_mismatch(env: Env) -> Probe:
    msg = DeviceStatus(device_id="kiosk-2", state="online", boot_id=uuid.uuid4(), since=_now())
    return Probe(env.kiosk, env.topics.device_status("kiosk-1"), msg.to_json(), str(msg.boot_id))


def _health(env: Env, token: str, **overrides: Any) -> Probe:
    data = DeviceHealth(
        device_id="kiosk-1",
        msg_id=uuid.UUID(token),
        sent_at=_now(),
        app_version="1.0",
        boot_id=uuid.uuid4(),
    ).model_dump(mode="json", by_alias=True)
    data.update(overrides)
    return Probe(env.kiosk, env.topics.device_health("kiosk-1"), _json(data), token)


def _health_unknown_field(env: Env) -> Probe:
    return _health(env, _tok(), cpu_temp=71)


def _health_huge_text(env: Env) -> Probe:
    return _health(env, _tok(), detail="Máy in hết giấy. " * 300)


def _health_control_chars(env: Env) -> Probe:
    return _health(env, _tok(), app_version="1.0\u0007\u001b[2J")


def _health_mismatch(env: Env) -> Probe:
    return _health(env, _tok(), device_id="kiosk-2")


# --- closed by the broker's ACL for devices; checked again by the server ---------------


def _injected(env: Env, topic: str, payload: bytes, token: str) -> Probe:
    return Probe(env.injector, topic, payload, token)


def _unknown_kiosk(env: Env) -> Probe:
    t = _tok()
    payload = _json(_envelope("kiosk-9", t, service="tp"))
    return _injected(env, env.topics.ticket_request("kiosk-9"), payload, t)


def _pad_as_kiosk(env: Env) -> Probe:
    t = _tok()
    payload = _json(_envelope("pad-q1", t, service="tp"))
    return _injected(env, env.topics.ticket_request("pad-q1"), payload, t)


def _unknown_desk(env: Env) -> Probe:
    t = _tok()
    payload = _json(_envelope("pad-q9", t, ticket_id=str(uuid.uuid4()), level="satisfied"))
    return _injected(env, env.topics.desk_rating("q9"), payload, t)


def _topic_id_not_identifier(env: Env) -> Probe:
    t = _tok()
    topic = f"{env.topics.root}/kiosk/KIOSK-1/ticket/request"
    return _injected(env, topic, _json(_envelope("kiosk-1", t, service="tp")), t)


# --- out-of-range timestamps and numbers (issue 11: they lost whole batches) ----------

#: Converting these to UTC or local time overflows (OverflowError in the server).
FAR_FUTURE = "9999-12-31T23:59:59-14:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"
#: Python's json.loads raises ValueError (not JSONDecodeError) past 4,300 digits.
HUGE_NUMBER = "1" * 15_000


def _with_raw(data: dict[str, Any], key: str, raw: str) -> bytes:
    """``data`` as JSON with the raw JSON text ``raw`` (e.g. a huge number) at ``key``."""
    return _json({**data, key: "@RAW@"}).replace(b'"@RAW@"', raw.encode())


def _request_sent_far_future(env: Env) -> Probe:
    t = _tok()
    return _ticket_request(env, _req(env, t, sent_at=FAR_FUTURE), t, reply="invalid")


def _request_huge_number(env: Env) -> Probe:
    """The kiosk still gets its refusal: the msg_id is readable despite the number."""
    t = _tok()
    payload = _with_raw(_envelope("kiosk-1", t, service="tp"), "priority", HUGE_NUMBER)
    return _ticket_request(env, payload, t, reply="invalid")


def _request_sent_in_future(env: Env) -> Probe:
    """A kiosk clock 10 min ahead: refused like a rating is (``sent_in_future``)."""
    t = _tok()
    sent = (_now() + timedelta(minutes=10)).isoformat()
    return _ticket_request(env, _req(env, t, sent_at=sent), t, reply="sent_in_future")


def _kiosk_rating_sent_at(env: Env, sent_at: str) -> Probe:
    """A "rate a visit" by number without a day: the server takes the day from sent_at."""
    t = _tok()
    data = _envelope("kiosk-1", t, number="A001", level="satisfied", sent_at=sent_at)
    return _kiosk_rating(env, _json(data), t)


def _kiosk_rating_far_future(env: Env) -> Probe:
    return _kiosk_rating_sent_at(env, FAR_FUTURE)


def _kiosk_rating_far_past(env: Env) -> Probe:
    return _kiosk_rating_sent_at(env, FAR_PAST)


def _pad_rating_far_past(env: Env) -> Probe:
    ticket = _done(env, "q1")
    t = _tok()
    return _pad_rating(env, _rating_json(ticket.ticket_id, t, sent_at=FAR_PAST), t)


def _pad_rating_huge_number(env: Env) -> Probe:
    t = _tok()
    data = _envelope("pad-q1", t, ticket_id=str(uuid.uuid4()), level="satisfied")
    return _pad_rating(env, _with_raw(data, "praised", f"[{HUGE_NUMBER}]"), t)


def _health_huge_number(env: Env) -> Probe:
    probe = _health(env, _tok())
    data = json.loads(probe.payload)
    probe.payload = _with_raw(data, "outbox_depth", HUGE_NUMBER)
    return probe


def _offline_far_day(env: Env) -> Probe:
    probe = _offline(env, f"A{_reserve_first(env, 'kiosk-1')}")
    probe.payload = _json({**json.loads(probe.payload), "day": "9999-12-31"})
    return probe


def _status_far_since(env: Env) -> Probe:
    msg = DeviceStatus(device_id="kiosk-1", state="online", boot_id=uuid.uuid4(), since=_now())
    payload = _json({**json.loads(msg.to_json()), "since": FAR_PAST})
    return Probe(env.kiosk, env.topics.device_status("kiosk-1"), payload, str(msg.boot_id))


# --- inputs that make the refusal itself fail (see the module report) ------------------


def _control_char_in_field_name(env: Env) -> Probe:
    """The field name lands in the refusal's ``detail``, which must not contain control
    characters: building the `Rejected` report must not fail on it."""
    t = _tok()
    return _ticket_request(env, _req(env, t, **{"\u0007beep": 1}), t)


def _nfc_expanding_garbage(env: Env) -> Probe:
    """Characters whose NFC form is longer (U+FB2C is 3 code points in NFC): the
    200-character excerpt grows past the report's 300-character bound."""
    t = _tok()
    return _ticket_request(env, t.encode() + "\ufb2c".encode() * 1000, t)


def _deeply_nested_json(env: Env) -> Probe:
    """Nesting deeper than Python's recursion limit, well under 16 KiB."""
    t = _tok()
    return _ticket_request(env, f'{{"msg_id": "{t}", "x": '.encode() + b"[" * 10_000, t)


def _deeply_nested_rating(env: Env) -> Probe:
    """The same on the rating path, which decodes ratings separately for batching."""
    t = _tok()
    return _pad_rating(env, f'{{"msg_id": "{t}", "x": '.encode() + b"[" * 10_000, t)


CASES = [
    Case("invalid_json", "bad_json", _bad_json),
    Case("bad_utf8", "bad_utf8", _bad_utf8),
    Case("json_not_an_object", "bad_json", _not_object),
    Case("empty_payload", "bad_json", _empty),
    Case("payload_over_16k", "too_large", _too_large),
    Case("wrong_type_service_number", "invalid", _wrong_type),
    Case("missing_field_service", "invalid", _missing_field),
    Case("unknown_extra_field", "invalid", _unknown_field),
    Case("huge_string_in_bounded_field", "invalid", _huge_service),
    Case("msg_id_not_uuid", "invalid", _bad_msg_id),
    Case("sent_at_without_offset", "invalid", _naive_sent_at),
    Case("unsupported_schema", "invalid", _future_schema),
    Case("device_id_not_identifier", "invalid", _bad_device_id),
    Case("unknown_service", "unknown_service", _unknown_service),
    Case("unknown_priority", "unknown_priority", _unknown_priority),
    Case("request_device_id_not_topic_id", "device_mismatch", _request_device_mismatch),
    Case("stale_ticket_request", "request_expired", _stale_request),
    Case("replayed_ticket_request", "duplicate", _replayed_request),
    Case("offline_ticket_outside_reserve", "not_in_reserve", _offline_outside_reserve),
    Case("offline_ticket_other_kiosks_block", "not_in_reserve", _offline_other_kiosks_block),
    Case("rating_unknown_ticket", "unknown_ticket", _unknown_ticket),
    Case("rating_ticket_only_called", "ticket_not_done", _not_done),
    Case("second_rating_same_ticket", "already_rated", _already_rated),
    Case("replayed_rating", "duplicate", _replayed_rating),
    Case("rating_device_id_other_pad", "not_desk_pad", _not_desk_pad),
    Case("rating_ticket_of_other_desk", "wrong_desk", _wrong_desk),
    Case("rating_sent_before_done", "before_done", _before_done),
    Case("rating_sent_in_future", "sent_in_future", _sent_in_future),
    Case("rating_after_window", "window_expired", _window_expired),
    Case("rating_neutral_on_3_level_site", "bad_level", _bad_level),
    Case("rating_unknown_level", "invalid", _unknown_level),
    Case("praise_with_negative_level", "invalid", _praise_with_negative),
    Case("reasons_with_positive_level", "invalid", _reasons_with_positive),
    Case("unknown_conduct_item", "invalid", _unknown_conduct_item),
    Case("repeated_conduct_item", "invalid", _repeated_item),
    Case("kiosk_rating_ticket_id_and_number", "invalid", _kiosk_both_refs),
    Case("kiosk_rating_unknown_number", "unknown_ticket", _kiosk_unknown_number),
    Case("kiosk_rating_device_id_not_topic_id", "device_mismatch", _kiosk_device_mismatch),
    Case("status_device_id_not_topic_id", "device_mismatch", _status_mismatch),
    Case("health_device_id_not_topic_id", "device_mismatch", _health_mismatch),
    Case("health_unknown_field", "invalid", _health_unknown_field),
    Case("health_huge_text", "invalid", _health_huge_text),
    Case("health_control_characters", "invalid", _health_control_chars),
    Case("acl_bypass_unknown_kiosk", "unknown_device", _unknown_kiosk),
    Case("acl_bypass_pad_as_kiosk", "wrong_device_kind", _pad_as_kiosk),
    Case("acl_bypass_unknown_desk", "unknown_desk", _unknown_desk),
    Case("acl_bypass_topic_id_not_identifier", "unknown_topic", _topic_id_not_identifier),
    Case("request_sent_at_year_9999", "invalid", _request_sent_far_future),
    Case("request_15000_digit_number", "invalid", _request_huge_number),
    Case("request_sent_in_future", "sent_in_future", _request_sent_in_future),
    Case("kiosk_rating_sent_at_year_9999", "invalid", _kiosk_rating_far_future),
    Case("kiosk_rating_sent_at_year_1", "invalid", _kiosk_rating_far_past),
    Case("rating_sent_at_year_1", "invalid", _pad_rating_far_past),
    Case("rating_15000_digit_number", "invalid", _pad_rating_huge_number),
    Case("health_15000_digit_number", "invalid", _health_huge_number),
    Case("offline_ticket_day_9999", "invalid", _offline_far_day),
    Case("status_since_year_1", "invalid", _status_far_since),
    # Last: today these crash the ingest's batch instead of being refused.
    Case("control_char_in_field_name", "invalid", _control_char_in_field_name),
    Case("nfc_expanding_garbage", "bad_json", _nfc_expanding_garbage),
    Case("deeply_nested_json", "bad_json", _deeply_nested_json),
    Case("deeply_nested_json_rating", "bad_json", _deeply_nested_rating),
]


# ----------------------------------------------------------------------------- the tests


def _await_report(env: Env, probe: Probe, crashes_before: int) -> dict[str, Any]:
    """The ``server/rejected`` report of ``probe``; fails fast if the ingest crashed."""

    def report() -> dict[str, Any] | None:
        if len(env.crashes) > crashes_before:
            rec = env.crashes[-1]
            exc = rec.exc_info[1] if rec.exc_info else None
            pytest.fail(
                "the ingest crashed on this message instead of refusing it "
                f"(nothing recorded, nothing reported, batch not acknowledged): {exc!r}"
            )
        return next((d for _t, d in env.rejected.all() if probe.matches(d)), None)

    return eventually(report, "a server/rejected report for this message", WAIT_S)


def _await_reply(env: Env, probe: Probe) -> dict[str, Any]:
    """The reply to ``probe`` on the kiosk's response topic (the second one, for a replay:
    the first answer was sent when the request was first processed)."""
    assert probe.token is not None
    wanted = 2 if probe.replay else 1
    seen = 0

    def pred(topic: str, data: dict[str, Any]) -> bool:
        nonlocal seen
        if topic == env.topics.ticket_response("kiosk-1") and data.get("request_id") == probe.token:
            seen += 1
        return seen >= wanted

    return env.replies.wait_for(pred, timeout=WAIT_S)[1]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_recorded_and_reported(env: Env, case: Case) -> None:
    probe = case.make(env)
    try:
        before = env.counts()
        crashes_before = len(env.crashes)
        probe.sender.publish(probe.topic, probe.payload, qos=1)

        report = _await_report(env, probe, crashes_before)
        assert report["reason"] == case.reason, report
        assert report["detail"], report
        assert report["topic"] == probe.topic

        with env.rt.db.read() as s:
            q = select(RejectedMessageRow).where(RejectedMessageRow.topic == probe.topic)
            if probe.token is None:
                q = q.where(RejectedMessageRow.excerpt == "")
            else:
                q = q.where(
                    or_(
                        RejectedMessageRow.msg_id == probe.token,
                        RejectedMessageRow.excerpt.contains(probe.token),
                    )
                )
            rows = list(s.scalars(q))
        assert [r.reason for r in rows] == [case.reason]
        assert rows[0].detail == report["detail"]
        # Recorded against the device that sent it: for a desk's rating, its pad.
        assert rows[0].device_id == report["device_id"]
        if probe.topic == env.topics.desk_rating("q1"):
            assert report["device_id"] == "pad-q1", report

        if probe.reply == "original":
            reply = _await_reply(env, probe)
            assert reply["ok"] is True, reply
            assert reply["ticket"]["number"] == probe.original_number
        elif probe.reply is not None:
            reply = _await_reply(env, probe)
            assert reply["ok"] is False and reply["ticket"] is None, reply
            assert reply["refusal"]["code"] == probe.reply, reply
            assert reply["refusal"]["message"], reply

        # Nothing was stored for it: no ticket, no rating, no processed msg_id (a replay
        # keeps exactly the one it had).
        assert env.counts() == before
        with contextlib.suppress(ValueError):
            msg_id = uuid.UUID(probe.token or "")
            with env.rt.db.read() as s:
                processed = s.get(ProcessedMessageRow, msg_id) is not None
                ratings = s.scalar(
                    select(func.count()).select_from(RatingRow).where(RatingRow.msg_id == msg_id)
                )
            assert processed is probe.replay
            if case.reason == "duplicate" and probe.reply is None:
                assert ratings == 1  # the replayed rating still counts once

        health = env.api.get("/api/health")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
    finally:
        if probe.cleanup is not None:
            probe.cleanup()


def test_valid_traffic_still_works_after_bad_input(env: Env) -> None:
    """After every bad message above: a number, a rating, a green health check, and no
    batch ever lost to an exception in the ingest."""
    ticket = _done(env, "q1")
    r = rating("pad-q1", ticket.ticket_id, "very_satisfied", praised=["luon_mim_cuoi"])
    env.pad.publish_event(env.topics.desk_rating("q1"), r)
    eventually(lambda: _rating_stored(env, r.msg_id), f"valid rating {r.msg_id} stored", WAIT_S)
    health = env.api.get("/api/health")
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["mqtt"] == "connected"
    lost = [repr(rec.exc_info[1]) if rec.exc_info else rec.getMessage() for rec in env.crashes]
    assert not lost, f"the ingest lost {len(lost)} batch(es) to exceptions: {lost}"


def test_decomposed_text_is_normalised_not_refused(env: Env) -> None:
    """Non-NFC text is not bad input: it is accepted and stored in NFC (DESIGN.md:
    "NFC-normalised text"); only over-long or control-character text is refused."""
    nfd = unicodedata.normalize("NFD", "Máy in sắp hết giấy")
    assert nfd != unicodedata.normalize("NFC", nfd)
    msg = DeviceHealth(
        device_id="kiosk-1",
        sent_at=_now(),
        app_version="1.0",
        boot_id=uuid.uuid4(),
        detail="placeholder",
    )
    data = msg.model_dump(mode="json", by_alias=True)
    data["detail"] = nfd
    env.kiosk.publish(env.topics.device_health("kiosk-1"), _json(data))

    def stored_health() -> dict[str, Any] | None:
        with env.rt.db.read() as s:
            row = s.get(DeviceRow, (env.site.site.code, "kiosk-1"))
            health = row.health if row is not None else None
        return health if health is not None and health.get("msg_id") == str(msg.msg_id) else None

    health = eventually(stored_health, "the health report stored", WAIT_S)
    assert health["detail"] == "Máy in sắp hết giấy"
    assert unicodedata.is_normalized("NFC", health["detail"])
