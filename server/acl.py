"""Who may publish and subscribe where: one rule set for the embedded broker and for
the Mosquitto ACL file written by ``motcua broker-config``.

* the server reads and writes everything of its site;
* a kiosk publishes only its requests, offline tickets and ratings under
  ``kiosk/{its id}/…`` and its own ``device/{id}/…``; it reads ``kiosk/{its id}/…``
  (answers, its retained reserve), which only the server writes;
* a pad publishes only to ``desk/{its desk}/rating`` and its own device topics;
* boards and monitors only read (and report their own status); desk statistics are
  public inside the office (DESIGN: "server → anyone"), the ratings themselves are not;
* only the server writes state, stats, queue and board topics, ticket answers and the
  kiosks' reserve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from server.config import SiteConfig

Access = Literal["read", "write", "readwrite"]


@dataclass(frozen=True)
class Rule:
    access: Access
    topic: str

    @property
    def can_read(self) -> bool:
        return self.access in ("read", "readwrite")

    @property
    def can_write(self) -> bool:
        return self.access in ("write", "readwrite")


def rules_for(config: SiteConfig, username: str) -> list[Rule]:
    """The rules of one broker account (a device id, or the server's username)."""
    root = config.topics.root
    if username == config.server.broker.username:
        return [Rule("readwrite", f"{root}/#")]
    dev = config.device_by_id.get(username)
    if dev is None:
        return []
    own = [
        Rule("write", f"{root}/device/{dev.id}/#"),
        Rule("read", f"{root}/device/{dev.id}/receipt"),
        Rule("read", f"{root}/server/status"),
    ]
    if dev.kind == "kiosk":
        return [
            *own,
            Rule("read", f"{root}/kiosk/{dev.id}/#"),
            Rule("write", f"{root}/kiosk/{dev.id}/ticket/request"),
            Rule("write", f"{root}/kiosk/{dev.id}/ticket/offline"),
            Rule("write", f"{root}/kiosk/{dev.id}/rating"),
            Rule("read", f"{root}/queue/#"),
            Rule("read", f"{root}/desk/+/state"),
            Rule("read", f"{root}/desk/+/stats"),
        ]
    if dev.kind == "pad":
        return [
            *own,
            Rule("write", f"{root}/desk/{dev.desk}/rating"),
            Rule("read", f"{root}/desk/{dev.desk}/state"),
            Rule("read", f"{root}/desk/{dev.desk}/stats"),
        ]
    if dev.kind == "board":
        return [
            *own,
            Rule("read", f"{root}/board/call"),
            Rule("read", f"{root}/queue/#"),
            Rule("read", f"{root}/desk/+/state"),
            Rule("read", f"{root}/desk/+/stats"),
        ]
    return [*own, Rule("read", f"{root}/#")]  # monitor: sees everything, writes nothing


def _levels(topic: str) -> list[str]:
    return topic.split("/")


def topic_matches(rule_filter: str, topic: str) -> bool:
    """Does a concrete ``topic`` match the rule's filter (``+`` and ``#`` wildcards)?"""
    r, t = _levels(rule_filter), _levels(topic)
    for i, level in enumerate(r):
        if level == "#":
            return True
        if i >= len(t) or (level != "+" and level != t[i]):
            return False
    return len(r) == len(t)


def filter_covered(rule_filter: str, sub_filter: str) -> bool:
    """Is every topic a subscription could match also matched by the rule's filter?"""
    r, sub = _levels(rule_filter), _levels(sub_filter)
    for i, level in enumerate(r):
        if level == "#":
            return True
        if i >= len(sub):
            return False
        if sub[i] == "#":
            return False
        if level == "+":
            continue
        if sub[i] == "+" or sub[i] != level:
            return False
    return len(r) == len(sub)


def may_publish(rules: list[Rule], topic: str) -> bool:
    return any(r.can_write and topic_matches(r.topic, topic) for r in rules)


def may_subscribe(rules: list[Rule], sub_filter: str) -> bool:
    return any(r.can_read and filter_covered(r.topic, sub_filter) for r in rules)


def may_receive(rules: list[Rule], topic: str) -> bool:
    return any(r.can_read and topic_matches(r.topic, topic) for r in rules)
