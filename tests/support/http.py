"""Log-in helpers for API tests: accounts are created the way `motcua user add` does."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.auth.users import add_user
from server.runtime import ServerRuntime

PASSWORD = "mat-khau-thu-nghiem"


def login(
    api: TestClient, rt: ServerRuntime, username: str, role: str, clerk: str | None = None
) -> dict[str, str]:
    """Create the account (if new), log in, return the Authorization header."""
    from sqlalchemy import select

    from server.db.tables import UserRow

    with rt.db.write() as s:
        if s.scalar(select(UserRow.id).where(UserRow.username == username)) is None:
            add_user(s, rt.config, username, PASSWORD, role, clerk)
    r = api.post("/api/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def act(
    api: TestClient,
    headers: dict[str, str],
    desk: str,
    action: str,
    site: str = "gialoc",
    **body: str,
):
    return api.post(f"/api/sites/{site}/desks/{desk}/{action}", json=body or None, headers=headers)
