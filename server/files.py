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
import tempfile
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


def replace_file(path: Path, data: bytes, mode: int = FILE_MODE) -> Path:
    """Replace ``path`` atomically with ``data``: written to a temporary file with
    ``mode`` from its first byte (a key is never readable by others, not even for a
    moment), synced, then renamed over ``path``. An existing file's owner is kept when
    we may (root editing the server user's file must not take it away from the server)."""
    old: os.stat_result | None = None
    with contextlib.suppress(FileNotFoundError):
        old = path.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if old is not None and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(PermissionError):
                os.chown(tmp, old.st_uid, old.st_gid)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_path(path.parent)
    return path


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries (a rename), to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
