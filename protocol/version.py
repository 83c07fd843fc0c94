"""The program's version, in one place: the installed distribution's metadata.

``pyproject.toml`` is where the version is written; nothing else repeats it. The
server's health report and HTTP API, the CLI and every device's health report read it
from here, so they cannot disagree. It lives in ``protocol`` because the touch devices
(which may import only ``protocol``) report it too.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "motcua"


def installed_version() -> str:
    """The version of the installed ``motcua`` distribution; ``0+unknown`` for a source
    tree that was never installed."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"


#: The version of this program, read once at import.
VERSION: str = installed_version()
