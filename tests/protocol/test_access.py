"""The broker rights derived from the topic table (`protocol.access`): on every topic
of the contract, an account may write and read exactly what the table grants it, no
more and no less, however the rules are shortened with ``#``."""

from __future__ import annotations

from typing import Literal

import pytest
from paho.mqtt.client import topic_matches_sub

from protocol.access import device_rules
from protocol.topics import SPECS, Grant, Party, Scope, TopicSpec

ME, OTHER = "dev-1", "dev-2"
MY_DESK, OTHER_DESK = "q1", "q2"
DEVICE_KINDS = [Party.KIOSK, Party.PAD, Party.BOARD, Party.MONITOR]
ACCESSES: tuple[Literal["write", "read"], ...] = ("write", "read")


def _topic(spec: TopicSpec, ident: str) -> str:
    return "/".join(ident if level == "{}" else level for level in spec.levels)


def _granted(spec: TopicSpec, grants: tuple[Grant, ...], party: Party, ident: str) -> bool:
    for g in grants:
        if g.party is not party:
            continue
        if g.scope is Scope.ANY:
            return True
        if g.scope is Scope.OWN and ident == ME:
            return True
        if g.scope is Scope.OWN_DESK and party is Party.PAD and ident == MY_DESK:
            return True
    return False


def _allowed(rules: list[tuple[str, str]], topic: str, access: str) -> bool:
    return any((a == access or a == "readwrite") and topic_matches_sub(f, topic) for a, f in rules)


@pytest.mark.parametrize("party", DEVICE_KINDS, ids=str)
def test_rules_grant_exactly_the_table(party: Party) -> None:
    desk = MY_DESK if party is Party.PAD else None
    rules = device_rules(party, ME, desk)
    for spec in SPECS:
        idents = [ME, OTHER, MY_DESK, OTHER_DESK] if spec.id_name else [""]
        for ident in idents:
            topic = _topic(spec, ident)
            for access in ACCESSES:
                want = _granted(spec, spec.grants(access), party, ident)
                assert _allowed(rules, topic, access) is want, (party, access, topic)


@pytest.mark.parametrize("party", DEVICE_KINDS, ids=str)
def test_rules_are_short_and_unique(party: Party) -> None:
    rules = device_rules(party, ME, MY_DESK if party is Party.PAD else None)
    filters = [f for _, f in rules]
    assert len(filters) == len(set(filters))
    for _, f in rules:
        assert not f.startswith("/") and "#" not in f[:-1]


def test_subtrees_where_the_account_uses_every_topic_below() -> None:
    kiosk = device_rules(Party.KIOSK, "kiosk-1", None)
    assert ("read", "kiosk/kiosk-1/#") in kiosk
    assert ("read", "queue/#") in kiosk
    assert ("read", "desk/+/state") in kiosk  # not desk/+/#: the ratings are not public
    assert device_rules(Party.MONITOR, "monitor-1", None)[-1] == ("read", "#")
    pad = device_rules(Party.PAD, "pad-q1", "q1")
    assert ("write", "desk/q1/rating") in pad and ("read", "desk/q1/state") in pad
    assert not any(f.endswith("#") for _, f in pad)


def test_a_pad_without_a_desk_gets_no_desk_topic() -> None:
    rules = device_rules(Party.PAD, "pad-x", None)
    assert not any(f.startswith("desk/") for _, f in rules)


def test_only_the_server_writes_what_devices_read() -> None:
    for spec in SPECS:
        writers = {g.party for g in spec.writers}
        if spec.direction.value.startswith("server"):
            assert writers == {Party.SERVER}, spec.kind
        else:
            assert Party.SERVER not in writers, spec.kind
            assert any(g.party is Party.SERVER for g in spec.readers), spec.kind
