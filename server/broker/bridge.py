"""The office broker's bridge to its hub (site YAML ``hub:``, docs/hub.md): Mosquitto's
own ``connection`` carries the office's facts and pulse out and the hub's receipts in,
over TLS, reconnecting by itself, queueing what it could not send (``cleansession
false``: the hub broker keeps the office's receipts too). Its notification
(``{root}/hub/link``, ``1``/``0``, retained on both brokers, ``0`` also its Last Will)
tells the office's forwarder and the hub whether the WAN is up.
"""

from __future__ import annotations

from protocol.hub import (
    FACT_QOS,
    HUB_DIRECTION,
    PULSE_QOS,
    RECEIPT_QOS,
    HubTopicKind,
    HubTopics,
)
from server.config import ConfigError, SiteConfig

_QOS: dict[HubTopicKind, int] = {"facts": FACT_QOS, "pulse": PULSE_QOS, "receipt": RECEIPT_QOS}


def bridge_lines(config: SiteConfig) -> list[str]:
    """The ``connection hub`` section, or none for a lone office."""
    hub = config.hub
    if hub is None:
        return []
    password = hub.password()
    if password is None:
        raise ConfigError(
            f"the hub bridge needs the office's hub password: set {hub.password_env} "
            "(printed by `motcua hub add-office` on the hub)"
        )
    site = config.site.code
    topics = HubTopics(site, config.server.broker.prefix)
    lines = [
        "",
        "connection hub",
        f"address {hub.host}:{hub.port}",
        "bridge_protocol_version mqttv311",
        f"remote_username {hub.username}",
        f"remote_password {password.get_secret_value()}",
        f"remote_clientid {hub.username}",
        f"local_clientid motcua-bridge-{site}",
        "cleansession false",
        "start_type automatic",
        "restart_timeout 1 30",
        "keepalive_interval 20",
        "notifications true",
        "notifications_local_only false",
        f"notification_topic {topics.topic('link')}",
    ]
    for kind, qos in _QOS.items():
        lines.append(f"topic {topics.topic(kind)} {HUB_DIRECTION[kind]} {qos}")
    if hub.ca_file is not None:
        lines += [f"bridge_cafile {hub.ca_file.resolve()}", "bridge_insecure false"]
    return lines
