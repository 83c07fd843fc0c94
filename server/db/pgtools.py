"""Running PostgreSQL's own client tools (``pg_dump``, ``pg_restore``) on the database
of a SQLAlchemy URL.

The password goes to the tool in ``PGPASSWORD``, never on its command line (where
``ps`` would show it to every local account).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class ToolError(RuntimeError):
    """A client tool is missing or failed; the message says which and why."""


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """``(conninfo URI without the password, environment with PGPASSWORD)``."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def run_tool(tool: str, args: list[str], url: str | None = None) -> str:
    """Run ``tool args… [--dbname URL]``; its standard output, or `ToolError` with its
    error output."""
    exe = shutil.which(tool) or (f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else None)
    if exe is None:
        raise ToolError(
            f"không tìm thấy {tool} / {tool} is not installed: "
            "apt-get install postgresql-client (same or newer major version as the server)"
        )
    env = dict(os.environ)
    cmd = [exe, *args]
    if url is not None:
        conninfo, env = libpq_target(url)
        cmd += ["--dbname", conninfo]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        err = proc.stderr.strip() or f"exit code {proc.returncode}"
        hint = ""
        if "version mismatch" in err:
            hint = " (install a postgresql-client at least as new as the server)"
        raise ToolError(f"{tool} thất bại / {tool} failed: {err}{hint}")
    return proc.stdout


def dump_tables(dump: Path) -> set[str]:
    """The tables a ``pg_dump --format=custom`` file holds (raises if it is not one)."""
    listing = run_tool("pg_restore", ["--list", str(dump)])
    tables: set[str] = set()
    for line in listing.splitlines():
        parts = line.split()
        # "215; 1259 16390 TABLE public tickets motcua"
        if len(parts) >= 6 and parts[3] == "TABLE" and not line.startswith(";"):
            tables.add(parts[5])
    return tables


def dump_revision(dump: Path) -> str | None:
    """The Alembic revision stored in a custom-format dump (None: no alembic_version)."""
    sql = run_tool("pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(dump)])
    lines = sql.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return None if value in ("", "\\.") else value
    return None
