"""Who may open which page and which live channel, declared once.

A page route declares its guard as a dependency, ``user: DeskUser`` (or
``Depends(requires_page_role("desk"))``), instead of checking inline: nobody logged in
is sent to the log-in (with the page as ``next``), a user without the role gets the
"forbidden" page. The refusal is raised as `PageRefused`, which carries the response to
send (`refused_response` is its handler).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from server.auth.users import User
from server.web.cookies import session_user
from server.web.i18n import lang_of, text
from server.web.render import render

#: Each role's start page (after the log-in, or from ``/``).
HOME = {"board": "/board", "clerk": "/desk", "supervisor": "/dashboard", "admin": "/dashboard"}
#: Who may listen on each live channel (``/ws/live``).
CHANNEL_ROLES: dict[str, tuple[str, ...]] = {
    "board": ("board", "supervisor", "admin"),
    "desk": ("clerk", "supervisor", "admin"),
    "dashboard": ("supervisor", "admin"),
}
#: Who may open each page: the same roles as its live channel; /reports has none (a
#: clerk sees only their own figures there), nor /admin/users (the accounts).
PAGE_ROLES = {
    **CHANNEL_ROLES,
    "reports": ("clerk", "supervisor", "admin"),
    "admin": ("admin",),
}


class PageRefused(Exception):
    """A page the user may not see; ``response`` is what to send instead."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def refused_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)
    return exc.response


def page_user(request: Request, page: str) -> User:
    """The logged-in user allowed on ``page``; else `PageRefused` with the log-in
    redirect or the "forbidden" page."""
    user = session_user(request)
    if user is None:
        # the query too: a link to a report's view reproduces it after the log-in
        query = request.url.query
        target = quote(request.url.path + (f"?{query}" if query else ""), safe="/")
        raise PageRefused(RedirectResponse(f"/login?next={target}", status_code=303))
    if user.role not in PAGE_ROLES[page]:
        lang = lang_of(request)
        raise PageRefused(
            render(
                request,
                "forbidden.html",
                user,
                status=403,
                message=text(lang, "forbidden", user=user.username),
                home=HOME[user.role],
            )
        )
    return user


def requires_page_role(page: str) -> Callable[[Request], User]:
    """A dependency: the user allowed on ``page`` (see `page_user`)."""

    def guard(request: Request) -> User:
        return page_user(request, page)

    return guard


DeskUser = Annotated[User, Depends(requires_page_role("desk"))]
DashboardUser = Annotated[User, Depends(requires_page_role("dashboard"))]
ReportsUser = Annotated[User, Depends(requires_page_role("reports"))]
AdminUser = Annotated[User, Depends(requires_page_role("admin"))]
