"""Browser sessions and their CSRF tokens.

A browser session is an API token kept in an HttpOnly, SameSite=Strict cookie. Requests
that change something and come with the cookie must also carry the session's CSRF token
(header ``X-CSRF-Token`` or form field ``csrf_token``); bearer requests need none, since
a browser never adds an Authorization header by itself.

Here only the names and the derivation, shared by the API (which checks the header) and
the pages (which put the token in the page and check the form field).
"""

from __future__ import annotations

import hashlib
import hmac

SESSION_COOKIE = "motcua_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(session: str) -> str:
    """The CSRF token of a session: derived from the session's secret, so nothing more
    is stored and a page that cannot read the cookie cannot forge it."""
    return hmac.new(session.encode(), b"motcua-csrf", hashlib.sha256).hexdigest()[:40]


def csrf_ok(session: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session), given or "")
