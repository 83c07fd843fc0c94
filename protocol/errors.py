"""The one root of every refusal: `MotcuaError`, a `Reason` and the values to word it.

Our refusal hierarchy (each subclass lives beside the code that raises it)::

    * MotcuaError                  protocol.errors: code, params, message(_en), detail
      x InvalidMessage             protocol.decoding: a device payload that cannot be read
      x TextRefused                protocol.text: text a person typed that cannot be taken
      x QueueError                 server.queue.errors: a queue action refused
      x RatingRefused              server.ratings.rules: a rating that cannot be stored
      x Refused                    server.ingest.rejections: a device message not applied
      x ApiRefusal                 server.http.errors: a request the API itself refuses
      x LoginRefused               server.auth.login: a log-in refused
      x PeriodError, ReportError   server.reports: a report asked wrongly
      x HistoryRefused             server.simulation.write: made-up history not written
      x KioskRefused               kiosk.core: no number, and the server's reason why

A refusal carries what was refused (``code``, a `Reason`), the values its sentence needs
(``params``) and, for the logs, a ``detail`` in English. It carries no sentence and no
HTTP status: the wording is `protocol.refusals.REFUSALS`'s, and each boundary translates
refusals in one place — `server.http.errors` (status and JSON body),
`server.ingest.rejections` (the ``Refusal`` a kiosk is answered with, the stored
rejection), `kiosk.flow` (what the citizen reads).

Failures that are not refusals (a lost broker link, a broken configuration, a printer out
of paper) have their own classes: nothing was refused, something is broken.
"""

from __future__ import annotations

from protocol.i18n import Localized
from protocol.refusals import REFUSALS, Reason, wording_key


class MotcuaError(Exception):
    """Something refused, and why: ``code``; the sentence is the catalog's, filled with
    ``params`` (`Localized` values are filled in each language). ``variant`` picks
    another sentence for the same code (``"desk_busy.close"``); ``detail`` is what the
    logs say (the English sentence when not given)."""

    def __init__(
        self, code: Reason, detail: str = "", /, *, variant: str | None = None, **params: object
    ) -> None:
        self.code = code
        self.variant = variant
        self.params = params
        #: The refusal in both languages.
        self.text = self.worded(detail)
        self.detail = detail or self.text.en or self.text.vi
        super().__init__(f"{code}: {self.detail}")

    def worded(self, detail: str) -> Localized:
        """The catalog's sentence for the code (a ``{detail}`` placeholder is ``detail``)."""
        return REFUSALS.both(wording_key(self.code, self.variant), detail=detail, **self.params)

    @property
    def message(self) -> str:
        """The Vietnamese sentence."""
        return self.text.vi

    @property
    def message_en(self) -> str:
        """The English sentence."""
        return self.text.en
