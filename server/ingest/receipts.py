"""Receipts: the msg_ids each device may now delete from its outbox.

Once a batch is committed, every event in it (accepted, or refused for good) is
receipted to the device that sent it, on ``device/{id}/receipt``. Ticket requests are
answered instead. Separate because it is the ingest's half of the outbox contract
(`protocol.outbox`): what a device's outbox waits for before it forgets a message.
"""

from __future__ import annotations

import uuid

from protocol.messages import Receipt
from protocol.topics import TopicKind
from server.config import SiteConfig
from server.ingest.admission import Admission, Inbound

#: msg_ids per receipt: keeps a receipt under the 16 KiB payload limit (39 bytes each).
RECEIPT_IDS = 300


def receipted(
    config: SiteConfig, admission: Admission, batch: list[Inbound]
) -> dict[str, list[uuid.UUID]]:
    """Per device, the events of this committed batch it may now forget (accepted or
    refused for good). Ticket requests are answered instead."""
    out: dict[str, list[uuid.UUID]] = {}
    for item in batch:
        if item.kind is TopicKind.TICKET_REQUEST:
            continue
        device = admission.sender(item)
        msg_id = item.msg_id
        if device in config.device_by_id and msg_id is not None:
            out.setdefault(device, []).append(msg_id)
    return out


def receipts(
    config: SiteConfig, admission: Admission, batch: list[Inbound]
) -> list[tuple[str, Receipt]]:
    """(topic, receipt) to publish for a committed batch, at most `RECEIPT_IDS` each."""
    out = []
    for device_id, ids in receipted(config, admission, batch).items():
        for k in range(0, len(ids), RECEIPT_IDS):
            receipt = Receipt(device_id=device_id, msg_ids=ids[k : k + RECEIPT_IDS])
            out.append((config.topics.device_receipt(device_id), receipt))
    return out
