"""Who may publish and subscribe where: one rule set for the one-box broker and for
the Mosquitto ACL file written by ``motcua broker-config`` (both run Mosquitto with the
files of `server.broker.mosquitto_config`).

The rules are not written here: they are derived (`protocol.access`) from the topic
table, `protocol.topics.SPECS`, which says for every topic which kinds of account may
write and read it, and whether for any id or only their own. With today's table:

* the server reads and writes everything of its site (`protocol.access.SERVER_ACCESS`);
* a kiosk publishes only its requests, offline tickets and ratings under
  ``kiosk/{its id}/…`` and its own ``device/{id}/status`` and ``health``; it reads
  ``kiosk/{its id}/…`` (answers, its retained reserve), which only the server writes;
* a pad publishes only to ``desk/{its desk}/rating`` and its own device topics;
* boards and monitors only read (and report their own status); desk statistics are
  public inside the office (DESIGN: "server → anyone"), the ratings themselves are not;
* only the server writes state, stats, queue and board topics, ticket answers, receipts
  and the kiosks' reserve.

This module turns them into the rules of one account of a site and checks topics
against them.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.access import SERVER_ACCESS, Access, device_rules
from protocol.topics import Party
from server.config import SiteConfig


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
        return [Rule(SERVER_ACCESS, f"{root}/#")]
    dev = config.device_by_id.get(username)
    if dev is None:
        return []
    return [
        Rule(access, f"{root}/{f}") for access, f in device_rules(Party(dev.kind), dev.id, dev.desk)
    ]


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
