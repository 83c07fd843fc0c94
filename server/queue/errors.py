"""`QueueError`: the one exception every refused queue action raises.

Separate so that callers that only translate refusals (the HTTP error handler, the MQTT
ingest) need not import the engine. Like every refusal (`protocol.errors`) it carries a
`Reason` and the values its sentence needs; the wording is the catalog's
(`protocol.refusals`), the HTTP status `server.http.errors`'s.
"""

from __future__ import annotations

from protocol.errors import MotcuaError


class QueueError(MotcuaError):
    """A refused queue action: ``raise QueueError(Reason.DESK_BUSY, variant="close")``."""
