"""A minimal device process for link tests: one `MqttLink` with an outbox file.

Run as ``python tests/protocol/device_proc.py '<json config>'`` with the repository on
``PYTHONPATH``. It imports only ``protocol`` (like a kiosk would) and reports on stdout:

* ``BOOT <boot_id>`` once the link is started;
* ``QUEUED <json list of msg_ids>`` after ``events`` offline tickets were handed to
  `MqttLink.publish_event` (each one is committed to the outbox by then);
* ``CONNECTED`` once connected, if ``wait_connected`` is set.

It then waits for its stdin to close and stops cleanly; tests usually SIGKILL it first.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, date, datetime

from pydantic import SecretStr

from protocol.link import MqttLink
from protocol.messages import OfflineTicket
from protocol.settings import BrokerSettings


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(config: dict[str, object]) -> None:
    settings = BrokerSettings(
        host=str(config["host"]),
        port=int(config["port"]),  # type: ignore[call-overload]
        username=str(config["device_id"]),
        password=SecretStr(str(config["password"])),
        prefix=str(config["prefix"]),
        reconnect_min_s=1,
        reconnect_max_s=2,
    )
    device_id = str(config["device_id"])
    link = MqttLink(
        settings,
        str(config["site"]),
        device_id,
        outbox_path=str(config["outbox"]) if config.get("outbox") else None,
        confirm=str(config.get("confirm", "receipt")),  # type: ignore[arg-type]
    )
    link.start()
    say(f"BOOT {link.boot_id}")
    topic = link.topics.ticket_offline(device_id)
    ids: list[str] = []
    for n in range(int(config.get("events", 0))):  # type: ignore[call-overload]
        now = datetime.now(UTC)
        event = OfflineTicket(
            device_id=device_id,
            sent_at=now,
            ticket_id=uuid.uuid4(),
            number=f"A{901 + n:03d}",
            service="tp",
            issued_at=now,
            day=date.today(),
        )
        link.publish_event(topic, event)
        ids.append(str(event.msg_id))
    if ids:
        say(f"QUEUED {json.dumps(ids)}")
    if config.get("wait_connected"):
        if not link.wait_connected(30):
            say("NOT-CONNECTED")
            sys.exit(2)
        say("CONNECTED")
    sys.stdin.read()  # until the test closes our stdin (or kills us)
    link.stop()
    say("STOPPED")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
