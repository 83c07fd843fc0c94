"""Stable codes shared by the server, the devices and the database.

Each enum's values are what is stored in the database and sent on the wire, so a value
never changes once released; the member names are for code. They are `StrEnum`s, so a
value read back as a plain string compares equal to its member.

Kept apart from `protocol.messages` because they are vocabulary, not message shapes:
the queue engine, the reports and the devices use them without any pydantic model.
"""

from __future__ import annotations

from enum import StrEnum


class TicketState(StrEnum):
    """Where a ticket is in its lifecycle (DESIGN.md):

    ``issued → called (recalls counted) → serving → done | no_show | transferred |
    cancelled``; a no-show who comes back may be called again.
    """

    ISSUED = "issued"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    """What a ticket event records (``ticket_events.kind``, append-only)."""

    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    #: The dossier code (mã hồ sơ) of a finished visit was added or corrected.
    DOSSIER = "dossier"


class DeskEventKind(StrEnum):
    """What a desk event records (``desk_events.kind``, append-only): the clerk's
    session at a desk."""

    OPEN = "open"
    CLOSE = "close"
    PAUSE = "pause"
    RESUME = "resume"


class RatingSource(StrEnum):
    """Where a citizen gave a rating (``ratings.source``): the pad at the desk, "rate a
    visit" at a kiosk, or their own phone (the QR code on the ticket)."""

    PAD = "pad"
    KIOSK = "kiosk"
    PHONE = "phone"
