"""One bad message must never stop the server.

A black-box device test found that a kiosk rating sent at ``9999-12-31T23:59:59-14:00``
raised OverflowError in the MQTT ingest: its whole batch was rolled back, nothing of it was
acknowledged, receipted or reported, the valid tickets and ratings sent with it were
lost, and the redelivered batch failed again, while ``/api/health`` said ``ok``.

These tests publish valid ticket requests and ratings mixed with poison messages through
a real Mosquitto to a running server, and count: every valid message stored (tickets
answered, ratings in the database), every poison message refused with its reason,
recorded, reported on ``server/rejected`` and receipted (a ticket request is answered
``ok: false`` instead), and the health check. The database's write lock is held while
they are published, as a long transaction elsewhere would, so that they pile up in the
ingest worker and are handled as one batch: that is where one bad message did its damage.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

import server.ratings.rules
from protocol.link import MqttLink
from protocol.messages import DeskRating, DeviceHealth, TicketRequest, VisitRating
from server.app import create_app
from server.config import SiteConfig
from server.db.database import Database
from server.db.migrate import upgrade
from server.db.tables import RatingRow, RejectedMessageRow, TicketRow
from server.ingest.health import STALL_AFTER_S
from server.runtime import ServerRuntime
from tests.conftest import make_runtime
from tests.support.devices import Watcher, device_link, started
from tests.support.seed import seed_done_tickets
from tests.support.services import Broker
from tests.support.waiting import eventually

WAIT_S = 30.0
FAR_FUTURE = "9999-12-31T23:59:59-14:00"
FAR_PAST = "0001-01-01T00:00:00+14:00"
HUGE_NUMBER = "1" * 15_000
KIOSKS = ("kiosk-1", "kiosk-2")
PADS = {"q1": "pad-q1", "q2": "pad-q2"}


@dataclass(frozen=True)
class Msg:
    """One message to publish as a device, and what the server must make of it."""

    link: MqttLink
    topic: str
    payload: bytes
    msg_id: str
    #: None for a valid message, else the refusal it must get.
    refusal: str | None = None

    @property
    def is_request(self) -> bool:
        return self.topic.endswith("/ticket/request")

    @property
    def is_rating(self) -> bool:
        return self.topic.endswith("/rating")


@dataclass
class Office:
    site: SiteConfig
    rt: ServerRuntime
    api: TestClient
    links: dict[str, MqttLink]
    #: Finished visits per desk, ready to be rated: (ticket id, number).
    done: dict[str, list[tuple[uuid.UUID, str]]]
    #: Everything published under the site root (one monitor connection).
    watcher: Watcher

    def seen(self, suffix: str) -> list[dict[str, Any]]:
        """Messages seen on topics ending with ``suffix``."""
        return [d for t, d in self.watcher.all() if t.endswith(suffix)]


@pytest.fixture
def office(site: SiteConfig, db_url: str, mosquitto: Broker, tmp_path: Path) -> Iterator[Office]:
    """A server on Mosquitto with 6 visits just finished at every desk; two kiosks and
    the pads of q1 and q2 connected."""
    db = Database(db_url)
    upgrade(db)
    seed_done_tickets(db, site, per_desk=6)
    with db.read() as s:
        rows = s.execute(select(TicketRow.id, TicketRow.number, TicketRow.desk_id)).all()
    db.dispose()
    done: dict[str, list[tuple[uuid.UUID, str]]] = {}
    for tid, number, desk in sorted(rows, key=lambda r: r.number):
        done.setdefault(desk, []).append((tid, number))
    with contextlib.ExitStack() as stack:
        rt = make_runtime(site, db_url, mosquitto)
        stack.callback(rt.stop)
        api = stack.enter_context(TestClient(create_app(rt)))
        watcher = Watcher(site, mosquitto, f"{site.topics.root}/#")
        stack.callback(watcher.stop)
        links = {}
        for device in (*KIOSKS, *PADS.values()):
            link = device_link(site, mosquitto, device, tmp_path)
            stack.callback(link.stop)
            links[device] = started(link)
        yield Office(site, rt, api, links, done, watcher)


# ----------------------------------------------------------------------------- messages


def _now() -> datetime:
    return datetime.now(UTC)


def _payload(model: Any, **raw: str) -> bytes:
    """``model`` as JSON, with fields replaced by raw JSON text (a huge number, a date)."""
    data = json.loads(model.to_json())
    for key in raw:
        data[key] = f"@{key}@"
    out = json.dumps(data, ensure_ascii=False)
    for key, value in raw.items():
        out = out.replace(f'"@{key}@"', value)
    return out.encode()


def _request(
    o: Office, kiosk: str, refusal: str | None = None, service: str = "tp", **raw: str
) -> Msg:
    req = TicketRequest(device_id=kiosk, sent_at=_now(), service=service)
    topic = o.site.topics.ticket_request(kiosk)
    return Msg(o.links[kiosk], topic, _payload(req, **raw), str(req.msg_id), refusal)


def _pad_rating(o: Office, desk: str, k: int, refusal: str | None = None, **raw: str) -> Msg:
    pad = PADS[desk]
    r = DeskRating(device_id=pad, sent_at=_now(), ticket_id=o.done[desk][k][0], level="satisfied")
    topic = o.site.topics.desk_rating(desk)
    return Msg(o.links[pad], topic, _payload(r, **raw), str(r.msg_id), refusal)


def _visit_rating(
    o: Office, kiosk: str, number: str, refusal: str | None = None, **raw: str
) -> Msg:
    """A "rate a visit" at a kiosk by printed number (the day is taken from sent_at)."""
    r = VisitRating(device_id=kiosk, sent_at=_now(), number=number, level="dissatisfied")
    topic = o.site.topics.kiosk_rating(kiosk)
    return Msg(o.links[kiosk], topic, _payload(r, **raw), str(r.msg_id), refusal)


def _device_health(o: Office, kiosk: str, refusal: str, **raw: str) -> Msg:
    h = DeviceHealth(device_id=kiosk, sent_at=_now(), app_version="1.0", boot_id=uuid.uuid4())
    topic = o.site.topics.device_health(kiosk)
    return Msg(o.links[kiosk], topic, _payload(h, **raw), str(h.msg_id), refusal)


def _poison(o: Office) -> list[Msg]:
    """Far-away timestamps and 15,000-digit numbers on every path of the ingest."""
    future = json.dumps((_now() + timedelta(minutes=10)).isoformat())
    spare = o.done["q3"][-1][1]
    return [
        _visit_rating(o, "kiosk-1", spare, "invalid", sent_at=json.dumps(FAR_FUTURE)),
        _visit_rating(o, "kiosk-2", spare, "invalid", sent_at=json.dumps(FAR_PAST)),
        _visit_rating(o, "kiosk-1", spare, "invalid", day='"0001-01-01"'),
        _pad_rating(o, "q1", 5, "invalid", sent_at=json.dumps(FAR_FUTURE)),
        _pad_rating(o, "q2", 5, "invalid", praised=f"[{HUGE_NUMBER}]"),
        _request(o, "kiosk-1", "invalid", sent_at=json.dumps(FAR_PAST)),
        _request(o, "kiosk-2", "invalid", priority=HUGE_NUMBER),
        _request(o, "kiosk-1", "sent_in_future", sent_at=future),
        _device_health(o, "kiosk-2", "invalid", outbox_depth=HUGE_NUMBER),
        _device_health(o, "kiosk-1", "invalid", sent_at=json.dumps(FAR_FUTURE)),
    ]


def _valid(o: Office) -> list[Msg]:
    """20 ticket requests and 20 ratings (pads at q1/q2, kiosks by number for q3–q6)."""
    msgs = [_request(o, KIOSKS[i % 2]) for i in range(20)]
    msgs += [_pad_rating(o, desk, k) for desk in PADS for k in range(5)]
    numbers = [n for desk in ("q3", "q4", "q5", "q6") for _, n in o.done[desk][:5]][:10]
    msgs += [_visit_rating(o, KIOSKS[i % 2], n) for i, n in enumerate(numbers)]
    return msgs


def _interleave(valid: list[Msg], poison: list[Msg]) -> list[Msg]:
    out: list[Msg] = []
    step = max(1, len(valid) // len(poison))
    for i, bad in enumerate(poison):
        out += [*valid[i * step : (i + 1) * step], bad]
    return out + valid[len(poison) * step :]


# ----------------------------------------------------------------------------- checks


@contextlib.contextmanager
def _write_lock(db: Database) -> Iterator[None]:
    """Hold the database's write lock, as a long transaction elsewhere would."""
    with db.write() as s:
        if db.is_sqlite:
            s.execute(text("SELECT 1"))  # the writer's BEGIN IMMEDIATE takes the lock
        else:
            s.execute(text("LOCK TABLE processed_messages IN EXCLUSIVE MODE"))
        yield


def _publish_as_one_batch(o: Office, msgs: list[Msg]) -> None:
    """Publish ``msgs`` while the ingest worker waits for the database, so that they are
    handled together once it is free (the first one goes alone)."""
    gw = o.rt.ingest
    gw.health.stall_after_s = 0.0  # "stalled" now means: something is waiting
    try:
        eventually(lambda: gw.ingest_state()[0] == "ok", "the ingest to be idle", WAIT_S)
        with _write_lock(o.rt.db):
            first, rest = msgs[0], msgs[1:]
            first.link.publish(first.topic, first.payload, qos=1)
            # Taken by the worker, which now waits for the database (nothing queued): the
            # rest must pile up behind it, not join its batch.
            eventually(
                lambda: gw.ingest_state()[0] == "stalled" and gw.queue_depth() == 0,
                "the ingest to wait for the database with the first message",
                WAIT_S,
            )
            for m in rest:
                m.link.publish(m.topic, m.payload, qos=1)
            try:
                eventually(lambda: gw.queue_depth() >= len(rest), "every message queued", WAIT_S)
            except AssertionError as e:
                raise AssertionError(
                    f"{e}: {gw.queue_depth()} of {len(rest)} queued; the server's link: "
                    f"{o.rt.link_report()}; gave up: {o.rt.fatal}"
                ) from None
    finally:
        gw.health.stall_after_s = STALL_AFTER_S


def _rejections(o: Office) -> dict[str, tuple[str, str | None]]:
    """msg_id → (reason, device_id) of every refused message recorded."""
    with o.rt.db.read() as s:
        rows = s.execute(
            select(
                RejectedMessageRow.msg_id, RejectedMessageRow.reason, RejectedMessageRow.device_id
            )
        ).all()
    return {str(r.msg_id): (r.reason, r.device_id) for r in rows if r.msg_id}


def _stored_ratings(o: Office) -> set[str]:
    with o.rt.db.read() as s:
        return {str(m) for m in s.scalars(select(RatingRow.msg_id))}


def _answers(o: Office) -> dict[str, dict[str, Any]]:
    return {d["request_id"]: d for d in o.seen("/ticket/response")}


def _receipted(o: Office) -> set[tuple[str, str]]:
    """(device, msg_id) of every receipt the devices got."""
    return {(d["device_id"], m) for d in o.seen("/receipt") for m in d["msg_ids"]}


def _check_every_message_accounted_for(o: Office, msgs: list[Msg]) -> None:
    """Every valid message stored, every refusal recorded, reported, receipted or answered."""
    requests = {m.msg_id for m in msgs if m.is_request}
    eventually(lambda: requests <= _answers(o).keys(), "an answer to every request", WAIT_S)
    valid_ratings = {m.msg_id for m in msgs if m.is_rating and m.refusal is None}
    eventually(lambda: valid_ratings <= _stored_ratings(o), "every valid rating stored", WAIT_S)
    refused = {m.msg_id: m for m in msgs if m.refusal is not None}
    eventually(lambda: refused.keys() <= _rejections(o).keys(), "every refusal recorded", WAIT_S)
    events = {(m.link.device_id, m.msg_id) for m in msgs if not m.is_request}
    eventually(lambda: events <= _receipted(o), "a receipt for every event", WAIT_S)
    eventually(
        lambda: refused.keys() <= {d.get("msg_id") for d in o.seen("/server/rejected")},
        "every refusal reported on server/rejected",
        WAIT_S,
    )
    reported = {d.get("msg_id"): d for d in o.seen("/server/rejected")}

    answers, rejections = _answers(o), _rejections(o)
    with o.rt.db.read() as s:
        tickets = {str(t) for t in s.scalars(select(TicketRow.id))}
    for m in msgs:
        if m.refusal is None:
            assert m.msg_id not in rejections, (m.topic, rejections[m.msg_id])
        else:
            assert rejections[m.msg_id] == (m.refusal, m.link.device_id), m.topic
            assert reported[m.msg_id]["reason"] == m.refusal
        if m.is_request:
            answer = answers[m.msg_id]
            if m.refusal is None:
                assert answer["ok"] is True, answer
                assert answer["ticket"]["ticket_id"] in tickets
            else:
                assert answer["ok"] is False and answer["refusal"]["code"] == m.refusal, answer


def _health(o: Office) -> tuple[int, dict[str, Any]]:
    r = o.api.get("/api/health")
    return r.status_code, r.json()


# ----------------------------------------------------------------------------- the tests


def test_poison_messages_never_cost_a_valid_one(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    """40 valid messages and 10 poison ones in one batch: the 40 are stored (the 20
    requests answered with a number), the 10 refused as ``invalid`` or
    ``sent_in_future`` at validation, so nothing reaches an unexpected error."""
    o = office
    valid, poison = _valid(o), _poison(o)
    assert (len(valid), len(poison)) == (40, 10)
    msgs = _interleave(valid, poison)
    with caplog.at_level(logging.WARNING, logger="server.ingest"):
        _publish_as_one_batch(o, msgs)
        _check_every_message_accounted_for(o, msgs)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
    status, body = _health(o)
    assert status == 200 and body["ingest"]["state"] == "ok", body


def test_an_unexpected_error_refuses_only_its_message(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No real input reaches an unexpected error any more (timestamps and numbers are
    bounded at validation), so this test injects one: storing the rating of one ticket,
    and issuing a number of service ``dd``, raise. Only those two messages are refused
    (``internal_error``: recorded, reported, the rating receipted, the request answered
    ``ok: false``); the 40 valid ones of their batch are committed. Ingest shows as
    failing in /api/health until the errors are old."""
    o = office
    bad_ticket = o.done["q1"][5][0]
    real_check = server.ratings.rules.check_rating

    def check(config: SiteConfig, item: Any, t: Any) -> None:
        if t.id == bad_ticket:
            raise RuntimeError("injected fault")
        real_check(config, item, t)

    real_issue = o.rt.engine.issue

    def issue(s: Any, service: str, *args: Any, **kwargs: Any) -> Any:
        if service == "dd":
            raise RuntimeError("injected fault")
        return real_issue(s, service, *args, **kwargs)

    monkeypatch.setattr(server.ratings.rules, "check_rating", check)
    monkeypatch.setattr(o.rt.engine, "issue", issue)
    poison = [
        _pad_rating(o, "q1", 5, "internal_error"),
        _request(o, "kiosk-2", "internal_error", service="dd"),
    ]
    msgs = _interleave(_valid(o), poison)
    _publish_as_one_batch(o, msgs)
    _check_every_message_accounted_for(o, msgs)

    status, body = _health(o)
    assert status == 503 and body["status"] == "degraded", body
    assert body["ingest"]["state"] == "failing", body
    assert "injected fault" in body["ingest"]["reason"]
    # The dashboard's status line says the same (`LiveHub.server_summary`).
    shown = o.api.app.state.web.live.server_summary()
    assert [p["code"] for p in shown["problems"]] == ["ingest_failing"], shown
    assert "lỗi" in shown["problems"][0]["vi"]
    o.rt.ingest.health.failing_for_s = 0.0  # as if the errors were old
    status, body = _health(o)
    assert status == 200 and body["ingest"]["state"] == "ok", body


def test_a_stalled_ingest_shows_in_health(office: Office) -> None:
    """While the database keeps the ingest waiting, /api/health says ingest is stalled
    (503, degraded), and ok again once the message is committed."""
    o = office
    o.rt.ingest.health.stall_after_s = 1.0
    m = _request(o, "kiosk-1")
    with _write_lock(o.rt.db):
        m.link.publish(m.topic, m.payload, qos=1)
        eventually(lambda: _health(o)[1]["ingest"]["state"] == "stalled", "a stall", WAIT_S)
        status, body = _health(o)
        assert status == 503 and body["status"] == "degraded", body
        assert "waited" in body["ingest"]["reason"]
    eventually(lambda: m.msg_id in _answers(o), "the request answered", WAIT_S)
    status, body = _health(o)
    assert status == 200 and body["ingest"]["state"] == "ok", body
