"""What the ``motcua`` command prints when it cannot go on: one or two lines, Vietnamese
then English, and exit code 2 for a known cause; for anything else one line saying to
run again with ``--debug``, which shows the traceback.

Commands raise `StartupProblem` for what they can word themselves, and wrap the opening
of a database in `about_database` so its errors name the URL and where it was set;
`run` (called by ``motcua.cli.main``) turns every exception into those lines.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from protocol.i18n import Localized

#: Exit code of a known problem (a wrong configuration, an unreachable database …).
KNOWN = 2
#: Exit code of an unexpected error.
UNEXPECTED = 1


class Options:
    """Set by the global ``--debug`` option (or ``MOTCUA_DEBUG=1``)."""

    debug = False


class StartupProblem(Exception):
    """A known reason to stop, already worded: its lines are printed as they are."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def database_source(config: Path | None, override: str | None) -> Localized:
    """Where the database URL in use was set, as the fix should name it."""
    if override:
        return Localized("--database-url", "--database-url")
    if os.environ.get("MOTCUA_DATABASE_URL"):
        return Localized("biến MOTCUA_DATABASE_URL", "MOTCUA_DATABASE_URL")
    if config is None:
        return Localized("server.database_url", "server.database_url")
    return Localized(f"server.database_url trong {config}", f"server.database_url in {config}")


def check_database_url(url: str, source: Localized) -> None:
    """Stop with a `StartupProblem` if ``url`` is not a database URL motcua can use."""
    from motcua.database_errors import database_lines, url_problem

    if url_problem(url) is not None:
        raise StartupProblem(*database_lines(url, source, ValueError(url)))


@contextlib.contextmanager
def about_database(url: str, source: Localized) -> Iterator[None]:
    """Errors of opening the database at ``url`` become a `StartupProblem` naming it.

    The URL is checked first: a misspelt kind (``postgresq://``) stops before any driver
    is loaded."""
    from motcua.database_errors import database_lines, is_database_error

    check_database_url(url, source)
    try:
        yield
    except Exception as e:
        if not is_database_error(e, url):
            raise
        raise StartupProblem(*database_lines(url, source, e)) from e


def _config_lines(error: Exception) -> list[str]:
    return str(error).splitlines() or [type(error).__name__]


def known_lines(error: BaseException) -> list[str] | None:
    """The lines for an error whose cause is known; None for an unexpected one."""
    if isinstance(error, StartupProblem):
        return error.lines
    from server.config.base import ConfigError
    from touch_ui.device_config import DeviceConfigError

    if isinstance(error, (ConfigError, DeviceConfigError)):
        return _config_lines(error)  # worded where they are raised
    from motcua.database_errors import bare_lines, is_database_error

    if is_database_error(error, ""):
        return list(bare_lines(error))
    if isinstance(error, OSError) and (error.filename or error.strerror):
        where = f"{error.filename}: " if error.filename else ""
        reason = error.strerror or str(error)
        return [f"Lỗi tệp hoặc cổng / file or port error: {where}{reason}"]
    return None


def unexpected_lines(error: BaseException) -> list[str]:
    said = " ".join(str(error).split())[:300] or "-"
    return [
        f"Lỗi không mong đợi: {type(error).__name__}: {said} — chạy lại với --debug để xem "
        "chi tiết / unexpected error; run again with --debug for the details"
    ]


def report(error: BaseException) -> int:
    """Print what stopped the command (with the traceback under ``--debug``); the exit
    code."""
    if Options.debug:
        traceback.print_exception(error, file=sys.stderr)
    lines = known_lines(error)
    code = KNOWN if lines is not None else UNEXPECTED
    for line in lines if lines is not None else unexpected_lines(error):
        print(line, file=sys.stderr)
    sys.stderr.flush()
    return code


def run(app: Callable[[], object]) -> None:
    """Run the typer ``app``; any exception it lets out is reported, never a traceback
    (unless ``--debug``)."""
    if os.environ.get("MOTCUA_DEBUG", "").strip().lower() in ("1", "true", "yes"):
        Options.debug = True
    try:
        app()
    except Exception as e:
        raise SystemExit(report(e)) from None
