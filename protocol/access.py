"""Broker rights derived from the topic table: what one account may write and read.

`protocol.topics.SPECS` says, per topic, which kinds of account may write and read it
(for any id, or only their own id or desk). `device_rules` turns that into the rules of
one device's account, as MQTT filters under the site root. A rule covers a whole
subtree (``kiosk/kiosk-1/#``, ``queue/#``) only where the account may already access
every topic of the table under it, so the rules grant exactly the table, written the
short way.

Apart from `protocol.topics` because only the broker side needs it (`server.broker.acl`
writes it into Mosquitto's ACL file) and the contract document shows it; devices never
do.
"""

from __future__ import annotations

from typing import Literal

from protocol.topics import SPECS, Party, Scope, TopicSpec

Access = Literal["read", "write", "readwrite"]

#: The server's own account reads and writes the whole tree of its site, ``{root}/#``:
#: it is the broker's trusted client (the table's server grants say what it uses).
SERVER_ACCESS: Literal["readwrite"] = "readwrite"


def device_rules(party: Party, device_id: str, desk: str | None) -> list[tuple[Access, str]]:
    """(access, filter under the site root) of one device's account, writes first."""
    writes = _shortest(_granted(party, device_id, desk, "write"))
    reads = _shortest(_granted(party, device_id, desk, "read"))
    both = set(writes) & set(reads)
    rules: list[tuple[Access, str]] = [("readwrite" if f in both else "write", f) for f in writes]
    return rules + [("read", f) for f in reads if f not in both]


def _granted(
    party: Party, device_id: str, desk: str | None, access: Literal["read", "write"]
) -> list[tuple[TopicSpec, str]]:
    """Each topic ``party`` may access, as a filter: the account's own id or desk in
    the id level, or ``+`` where any id is allowed."""
    ident = {Scope.ANY: "+", Scope.OWN: device_id, Scope.OWN_DESK: desk}
    out: list[tuple[TopicSpec, str]] = []
    for spec in SPECS:
        for grant in spec.grants(access):
            level = ident[grant.scope]
            if grant.party is party and level is not None:
                out.append((spec, "/".join(level if lv == "{}" else lv for lv in spec.levels)))
    return out


def _shortest(granted: list[tuple[TopicSpec, str]]) -> list[str]:
    """The filters written with ``#`` where a whole subtree is granted."""
    have = {f for _, f in granted}
    return list(dict.fromkeys(_widest(spec, f, have) for spec, f in granted))


def _widest(spec: TopicSpec, topic_filter: str, have: set[str]) -> str:
    """The shortest ``prefix/#`` covering ``topic_filter`` that grants nothing beyond
    ``have``: tried at the root, before the id level and after it."""
    levels = topic_filter.split("/")
    cuts = [0]
    if spec.id_name is not None:
        at = spec.levels.index("{}")
        cuts += [at, at + 1]
    for k in cuts:
        if k < len(levels) and _subtree_granted(levels[:k], spec.levels[:k], have):
            return "/".join([*levels[:k], "#"])
    return topic_filter


def _subtree_granted(prefix: list[str], pattern_prefix: tuple[str, ...], have: set[str]) -> bool:
    """Is every topic of the table under ``prefix`` (any id below it) in ``have``?"""
    k = len(prefix)
    for spec in SPECS:
        if spec.levels[:k] == pattern_prefix:
            rest = ("+" if lv == "{}" else lv for lv in spec.levels[k:])
            if "/".join([*prefix, *rest]) not in have:
                return False
    return True
