"""The suggestion box (hòm thư góp ý, ``/gop-y``): a citizen leaves a note, a supervisor
marks it handled.

Receiving checks what the citizen typed (the text, an optional service of this site,
an optional contact), stores it with the local day and tells the dashboards once the
transaction has committed. Nothing about the citizen is stored but the contact they
chose to type. Marking handled takes a note, says who and when, and happens once: a
second "handled" is refused (``conflict``), whoever asks.

The sentences about what the citizen typed are here, beside the checks that raise
them; the other refusals (unknown service, no such suggestion, already handled) are
worded by `protocol.refusals` like every other.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid
from collections.abc import Callable

from protocol.errors import MotcuaError
from protocol.i18n import Catalog, Localized
from protocol.refusals import Reason
from protocol.text import nfc
from server.auth.ratelimit import Throttle
from server.config import SiteConfig
from server.db.database import Database
from server.db.tables import SuggestionRow
from server.readmodels.suggestions import SuggestionView, suggestion_view
from server.timeutil import fmt_local, local_day, now_utc

log = logging.getLogger(__name__)

TEXT_MIN, TEXT_MAX = 3, 2000
CONTACT_MAX = 200
NOTE_MAX = 1000
#: Suggestions one client address may send per `WINDOW_S` (a family on one phone, or a
#: few people behind the office Wi-Fi's address, still get through).
PER_ADDRESS, WINDOW_S = 5, 600.0
#: Format characters a person's text may hold: the joiners of emoji and some scripts.
#: Other ones (bidirectional overrides, zero-width spaces, BOM) hide or reorder text.
_JOINERS = "\u200c\u200d"

_WORDING = Catalog(
    {
        "text_short": (
            "Hãy ghi nội dung góp ý (ít nhất {min} ký tự)",
            "Please write your suggestion (at least {min} characters)",
        ),
        "text_long": (
            "Nội dung góp ý dài quá {max} ký tự (đang có {length} ký tự)",
            "The suggestion is longer than {max} characters ({length})",
        ),
        "text_control": (
            "Nội dung góp ý có ký tự không in được: hãy xóa và gõ lại",
            "The suggestion contains characters that cannot be shown: please retype it",
        ),
        "contact_long": (
            "Thông tin liên hệ dài quá {max} ký tự",
            "The contact is longer than {max} characters",
        ),
        "contact_control": (
            "Thông tin liên hệ có ký tự không in được",
            "The contact contains characters that cannot be shown",
        ),
        "note_empty": ("Hãy ghi cách đã xử lý", "Please write how it was handled"),
        "note_long": (
            "Ghi chú dài quá {max} ký tự (đang có {length} ký tự)",
            "The note is longer than {max} characters ({length})",
        ),
        "note_control": (
            "Ghi chú có ký tự không in được",
            "The note contains characters that cannot be shown",
        ),
    }
)


class SuggestionRefused(MotcuaError):
    """A suggestion, or a "handled", that cannot be taken. ``variant`` names its
    sentence in `_WORDING`; ``code`` is the general reason (``invalid``,
    ``unknown_service``, ``not_found``, ``conflict``) the HTTP side turns into a status."""

    def worded(self, detail: str) -> Localized:
        """What the citizen typed is worded here; the rest by `protocol.refusals`."""
        if self.code is Reason.INVALID and self.variant:
            return _WORDING.both(self.variant, **self.params)
        return super().worded(detail)


def _printable(ch: str, allowed: str) -> bool:
    cat = unicodedata.category(ch)
    return ch in allowed or not (cat == "Cc" or (cat == "Cf" and ch not in _JOINERS))


def clean_text(value: str) -> str:
    """NFC, line ends as ``\\n``, stripped."""
    return nfc(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _check(value: str, what: str, low: int, high: int, lines: bool) -> str:
    """``value`` cleaned, or `SuggestionRefused` with ``what``'s sentences."""
    text = clean_text(value)
    if not all(_printable(ch, "\n" if lines else "") for ch in text):
        raise SuggestionRefused(Reason.INVALID, variant=f"{what}_control")
    if len(text) < low:
        variant = "text_short" if what == "text" else f"{what}_empty"
        raise SuggestionRefused(Reason.INVALID, variant=variant, min=low)
    if len(text) > high:
        raise SuggestionRefused(Reason.INVALID, variant=f"{what}_long", max=high, length=len(text))
    return text


class SuggestionService:
    """The suggestion box's two use cases. ``listeners`` hear every suggestion received
    or handled, after the commit (the dashboards' live stream), from the caller's
    thread; ``throttle`` is the public form's rate limit (per client address)."""

    def __init__(
        self,
        config: SiteConfig,
        db: Database,
        throttle: Throttle | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.throttle = throttle or Throttle(PER_ADDRESS, WINDOW_S)
        self.listeners: list[Callable[[SuggestionView], None]] = []

    def _tell(self, view: SuggestionView) -> None:
        for listener in list(self.listeners):
            try:
                listener(view)
            except Exception:  # a page's stream must not undo a stored suggestion
                log.exception("a suggestion listener failed")

    def receive(
        self, text: str, service: str | None = None, contact: str | None = None
    ) -> SuggestionView:
        """Check and store one suggestion; `SuggestionRefused` says what is wrong."""
        body = _check(text, "text", TEXT_MIN, TEXT_MAX, lines=True)
        code = (service or "").strip() or None
        if code is not None and code not in self.config.service_by_code:
            raise SuggestionRefused(Reason.UNKNOWN_SERVICE, service=code[:16])
        reach = _check(contact or "", "contact", 0, CONTACT_MAX, lines=False) or None
        now = now_utc()
        row = SuggestionRow(
            id=uuid.uuid4(),
            site=self.config.site.code,
            day=local_day(now, self.config.tz),
            received_at=now,
            text=body,
            service=code,
            contact=reach,
        )
        with self.db.write() as s:
            s.add(row)
            s.flush()
            view = suggestion_view(self.config, row)
        log.info("suggestion %s received (%d characters)", view.id, len(body))
        self._tell(view)
        return view

    def mark_handled(self, suggestion_id: uuid.UUID, note: str, by: str) -> SuggestionView:
        """Mark one suggestion handled with ``note`` by ``by`` (a username), once."""
        text = _check(note, "note", 1, NOTE_MAX, lines=True)
        with self.db.write() as s:
            row = s.get(SuggestionRow, suggestion_id, with_for_update=True)
            if row is None or row.site != self.config.site.code:
                raise SuggestionRefused(Reason.NOT_FOUND, variant="suggestion")
            if row.handled_at is not None:
                raise SuggestionRefused(
                    Reason.CONFLICT,
                    variant="handled",
                    at=fmt_local(row.handled_at, self.config.tz),
                    by=row.handled_by or "?",
                )
            row.handled_at, row.handled_by, row.handled_note = now_utc(), by, text
            s.flush()
            view = suggestion_view(self.config, row)
        log.info("suggestion %s handled by %s", suggestion_id, by)
        self._tell(view)
        return view
