"""Files that hold secrets or data are private to the server's user.

Password hashes, device passwords, session tokens and the visits themselves must not be
readable by every local account of the office PC: directories are created 0700 and
files 0600, whatever the process umask says. `private_umask` covers files other
libraries create for us (SQLite's ``-wal`` and ``-shm``, Mosquitto's persistence).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_umask() -> None:
    """From now on, files this process creates are readable by its user only."""
    os.umask(0o077)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700 (warn if it is not ours
    to change)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _chmod(path, DIR_MODE)
    return path


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to a 0600 file; the file never exists with wider rights."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its mode on open: tighten it first
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def restrict(path: Path) -> None:
    """Make an existing file 0600 (skip one that is not there; warn about one that is
    not ours to change)."""
    with contextlib.suppress(FileNotFoundError):
        _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot make %s private (owned by another user?)", path)


def restrict_sqlite(url: str) -> None:
    """Make a SQLite database and its journal files private (not its folder: that may
    be shared, e.g. /tmp; the server's own ``data_dir`` is made private elsewhere)."""
    u = make_url(url)
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:":
        return
    db = Path(u.database)
    for suffix in ("", "-wal", "-shm", "-journal"):
        restrict(db.with_name(db.name + suffix))
