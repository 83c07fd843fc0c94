"""The small line under a service's name on the kiosk: how long the queue is, or that no
desk serving it is open yet (then "no waiting" would promise what nobody can keep)."""

from __future__ import annotations

from kiosk.core import ServiceButton
from protocol.i18n import Lang
from touch_ui.i18n import tr


def queue_line(svc: ServiceButton, lang: Lang) -> str:
    """The queue under ``svc``'s name in ``lang``; empty until the first queue state."""
    if svc.waiting is None:
        return ""
    if svc.open_desks == 0:
        if svc.waiting == 0:
            return tr("no_desk_open", lang)
        return tr("waiting_no_desk", lang, waiting=svc.waiting)
    if svc.waiting == 0:
        return tr("waiting_none", lang)
    return tr("waiting_eta", lang, waiting=svc.waiting, eta=svc.eta_minutes or 0)
