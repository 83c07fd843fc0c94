"""Give python-escpos a private, persistent cache before it is first imported.

python-escpos 3.1 otherwise creates a new temporary directory on every import (never
removed) and re-parses its capability database each time. Imported first by the package.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure() -> None:
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    path = Path(base) / "motcua" / "python-escpos"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return  # not ours alone: never load a pickle that others could write
    except (OSError, RuntimeError, AttributeError):  # read-only or no home; Windows
        return
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(path)


configure()
