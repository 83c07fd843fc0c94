"""``/admin/users``: the accounts page, admins only. A server-rendered shell; its script
(``static/admin-users.js``) lists the accounts and the audit log and changes accounts
through the API (``server.http.routes.users``) with the session's CSRF header, as the
other pages do."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from server.web import admin_i18n
from server.web.deps import Config
from server.web.guards import AdminUser
from server.web.i18n import lang_of, text
from server.web.render import render

router = APIRouter(include_in_schema=False)
ROLES = ("admin", "supervisor", "clerk", "board")


@router.get("/admin/users")
def admin_users(request: Request, user: AdminUser, config: Config) -> Response:
    lang = lang_of(request)
    data = {
        "me": user.username,
        "tz": config.site.timezone,
        "strings": admin_i18n.js_strings(lang),
        "clerks": {c.id: c.name for c in config.clerks},
        "roles": {r: text(lang, "role_" + r) for r in ROLES},
    }
    return render(
        request,
        "admin_users.html",
        user,
        data=data,
        a=lambda key, **v: admin_i18n.text(lang, key, **v),
        roles=ROLES,
        clerks=[(c.id, c.name) for c in config.clerks],
    )
