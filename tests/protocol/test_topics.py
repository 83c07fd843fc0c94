"""The topic tree: the `TopicSpec` table, the documented layout, parse() as the inverse of
every builder, and the filters the server subscribes with."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from paho.mqtt.client import topic_matches_sub

from protocol.messages import ServerMessage
from protocol.topics import DEFAULT_PREFIX, SPEC, SPECS, Direction, TopicKind, TopicMatch, Topics

T = Topics("gialoc")

#: (builder, id argument or None, kind, layout under the root as documented in DESIGN.md)
BUILDERS: list[tuple[Callable[..., str], str | None, TopicKind, str]] = [
    (T.ticket_request, "kiosk-1", TopicKind.TICKET_REQUEST, "kiosk/kiosk-1/ticket/request"),
    (T.ticket_response, "kiosk-1", TopicKind.TICKET_RESPONSE, "kiosk/kiosk-1/ticket/response"),
    (T.ticket_offline, "kiosk-1", TopicKind.TICKET_OFFLINE, "kiosk/kiosk-1/ticket/offline"),
    (T.kiosk_reserve, "kiosk-1", TopicKind.KIOSK_RESERVE, "kiosk/kiosk-1/reserve"),
    (T.kiosk_rating, "kiosk-1", TopicKind.KIOSK_RATING, "kiosk/kiosk-1/rating"),
    (T.desk_rating, "q1", TopicKind.DESK_RATING, "desk/q1/rating"),
    (T.desk_state, "q1", TopicKind.DESK_STATE, "desk/q1/state"),
    (T.desk_stats, "q1", TopicKind.DESK_STATS, "desk/q1/stats"),
    (T.queue, "tp", TopicKind.QUEUE, "queue/tp"),
    (T.board_call, None, TopicKind.BOARD_CALL, "board/call"),
    (T.device_status, "pad-q1", TopicKind.DEVICE_STATUS, "device/pad-q1/status"),
    (T.device_health, "pad-q1", TopicKind.DEVICE_HEALTH, "device/pad-q1/health"),
    (T.device_receipt, "pad-q1", TopicKind.DEVICE_RECEIPT, "device/pad-q1/receipt"),
    (T.server_status, None, TopicKind.SERVER_STATUS, "server/status"),
    (T.server_rejected, None, TopicKind.SERVER_REJECTED, "server/rejected"),
    (T.server_heartbeat, None, TopicKind.SERVER_HEARTBEAT, "server/heartbeat"),
]


def build(builder: Callable[..., str], ident: str | None) -> str:
    return builder(ident) if ident is not None else builder()


def _id(case: tuple[Callable[..., str], str | None, TopicKind, str]) -> str:
    return case[2].value


def test_every_topic_kind_has_a_builder() -> None:
    assert {kind for _, _, kind, _ in BUILDERS} == set(TopicKind)


def test_root_is_prefix_and_site() -> None:
    assert T.root == "motcua/v1/gialoc"
    assert DEFAULT_PREFIX == "motcua/v1"
    assert Topics("hanoi", "province/hd/v1").root == "province/hd/v1/hanoi"


@pytest.mark.parametrize("case", BUILDERS, ids=_id)
def test_builders_give_the_documented_layout(
    case: tuple[Callable[..., str], str | None, TopicKind, str],
) -> None:
    builder, ident, _kind, layout = case
    topic = build(builder, ident)
    assert topic == f"motcua/v1/gialoc/{layout}"
    assert not topic.startswith("/") and not topic.endswith("/")
    assert topic == topic.lower()
    assert "+" not in topic and "#" not in topic


@pytest.mark.parametrize("case", BUILDERS, ids=_id)
def test_parse_round_trips_every_builder(
    case: tuple[Callable[..., str], str | None, TopicKind, str],
) -> None:
    builder, ident, kind, _ = case
    assert T.parse(build(builder, ident)) == TopicMatch(kind, ident)


@pytest.mark.parametrize("ident", ["a", "0", "kiosk_2", "k-" + "x" * 30])
def test_parse_round_trips_unusual_but_valid_ids(ident: str) -> None:
    assert T.parse(T.ticket_request(ident)) == TopicMatch(TopicKind.TICKET_REQUEST, ident)
    assert T.parse(T.device_status(ident)) == TopicMatch(TopicKind.DEVICE_STATUS, ident)


def test_parse_works_with_a_custom_prefix() -> None:
    t = Topics("gialoc", "province/hd/v1")
    assert t.parse(t.desk_rating("q2")) == TopicMatch(TopicKind.DESK_RATING, "q2")
    assert t.parse(T.desk_rating("q2")) is None  # same site, other prefix
    assert T.parse(t.desk_rating("q2")) is None


@pytest.mark.parametrize(
    "topic",
    [
        "motcua/v1/other/kiosk/kiosk-1/ticket/request",  # another site
        "motcua/v1/gialoc2/kiosk/kiosk-1/ticket/request",  # a site whose code extends ours
        "motcua/v2/gialoc/kiosk/kiosk-1/ticket/request",  # another version
        "/motcua/v1/gialoc/kiosk/kiosk-1/ticket/request",  # leading slash
        "motcua/v1/gialoc",
        "motcua/v1/gialoc/",
    ],
)
def test_parse_ignores_other_roots(topic: str) -> None:
    assert T.parse(topic) is None


@pytest.mark.parametrize(
    "ident",
    ["Kiosk-1", "KIOSK", "-kiosk", "_k", "kiosk 1", "kiosk.1", "x" * 33, "", "+", "#", "ký"],
)
def test_parse_refuses_malformed_ids(ident: str) -> None:
    for builder in (T.ticket_request, T.desk_rating, T.device_status, T.queue):
        assert T.parse(builder(ident)) is None, builder(ident)


@pytest.mark.parametrize(
    "rest",
    [
        "kiosk/kiosk-1/ticket",
        "kiosk/kiosk-1/ticket/request/extra",
        "kiosk/kiosk-1/ticket/request/",
        "kiosk/kiosk-1/unknown",
        "kiosk/a/b/ticket/request",
        "desk/q1",
        "desk/q1/rating/x",
        "desk/q1/Rating",
        "queue",
        "queue/tp/extra",
        "board",
        "board/call/q1",
        "device/pad-q1",
        "device/pad-q1/battery",
        "device/pad-q1/receipt/1",
        "server",
        "server/status/x",
        "unknown/thing",
    ],
)
def test_parse_returns_none_for_unknown_paths(rest: str) -> None:
    assert T.parse(f"{T.root}/{rest}") is None


@pytest.mark.parametrize(
    ("site", "prefix"),
    [
        ("Gialoc", DEFAULT_PREFIX),
        ("gia loc", DEFAULT_PREFIX),
        ("gialoc", "/motcua"),
        ("gialoc", "motcua/+"),
        ("gialoc", "motcua/#"),
        ("gialoc", "Motcua/v1"),
        ("gialoc", "motcua//v1"),
        ("gialoc", ""),
    ],
)
def test_invalid_site_or_prefix_is_refused(site: str, prefix: str) -> None:
    with pytest.raises(ValueError):
        Topics(site, prefix)


INBOUND = {
    TopicKind.TICKET_REQUEST,
    TopicKind.TICKET_OFFLINE,
    TopicKind.KIOSK_RATING,
    TopicKind.DESK_RATING,
    TopicKind.DEVICE_STATUS,
    TopicKind.DEVICE_HEALTH,
}


@pytest.mark.parametrize("case", BUILDERS, ids=_id)
def test_server_inbound_filters_match_exactly_what_devices_send(
    case: tuple[Callable[..., str], str | None, TopicKind, str],
) -> None:
    builder, ident, kind, _ = case
    topic = build(builder, ident)
    matched = [f for f in T.server_inbound_filters() if topic_matches_sub(f, topic)]
    if kind in INBOUND:
        assert len(matched) == 1, (topic, matched)  # exactly one filter: no double delivery
    else:
        assert matched == [], (topic, matched)  # the server's own output never loops back


def test_server_inbound_filters_cover_every_device_of_this_site_only() -> None:
    filters = T.server_inbound_filters()
    assert len(filters) == len(set(filters)) == len(INBOUND)
    for f in filters:
        assert f.startswith(T.root + "/")
        assert "#" not in f  # no catch-all: a device cannot push on unexpected topics
        assert T.parse(f.replace("+", "kiosk-9")) is not None
    other = Topics("other")
    for builder in (other.ticket_request, other.desk_rating, other.device_status):
        topic = builder("x1")
        assert not any(topic_matches_sub(f, topic) for f in filters)
    deep = f"{T.root}/kiosk/kiosk-1/ticket/request/extra"
    assert not any(topic_matches_sub(f, deep) for f in filters)


# ----------------------------------------------------------------------------- the table


def test_the_table_has_one_spec_per_kind_and_a_builder_for_each() -> None:
    assert [s.kind for s in SPECS] == list(TopicKind)
    assert set(SPEC) == set(TopicKind)
    for s in SPECS:
        assert s.pattern == s.pattern.lower() and not s.pattern.startswith("/")
        assert s.qos == 1  # DESIGN: QoS 1 everywhere
        assert s.writers and s.readers and s.summary


def test_state_is_retained_and_events_are_not() -> None:
    retained = {s.kind for s in SPECS if s.retained}
    assert retained == {
        TopicKind.KIOSK_RESERVE,
        TopicKind.DESK_STATE,
        TopicKind.DESK_STATS,
        TopicKind.QUEUE,
        TopicKind.DEVICE_STATUS,
        TopicKind.DEVICE_HEALTH,
        TopicKind.SERVER_STATUS,
    }


def test_inbound_is_read_strictly_and_outbound_tolerantly() -> None:
    for s in SPECS:
        if s.direction is Direction.TO_SERVER:
            assert s.model.model_config.get("extra") == "forbid", s.kind
        else:
            assert issubclass(s.model, ServerMessage), s.kind
    assert {s.kind for s in SPECS if s.direction is Direction.TO_SERVER} == INBOUND


def test_build_needs_an_id_exactly_where_the_pattern_has_one() -> None:
    with pytest.raises(ValueError):
        T.build(TopicKind.QUEUE)
    with pytest.raises(ValueError):
        T.build(TopicKind.BOARD_CALL, "x")
    assert T.build(TopicKind.QUEUE, "+") == f"{T.root}/queue/+"
    assert T.build(TopicKind.DESK_STATE, r"\1") == f"{T.root}/desk/\\1/state"  # not a regex
