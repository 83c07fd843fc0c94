"""A database that cannot be opened, said in two lines a person can act on.

SQLAlchemy and the drivers (psycopg, sqlite3) say what failed deep down, at the end of a
long traceback. `database_problem` turns the usual start-up failures (a URL that does not
parse, a misspelt database kind, PostgreSQL not answering or refusing the user, a SQLite
file that cannot be made) into one Vietnamese and one English line naming the URL (its
password masked) and where it was set.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from protocol.i18n import Catalog, Localized

#: The database kinds motcua runs on (``postgres`` is taken as ``postgresql``).
KINDS = ("sqlite", "postgresql", "postgres")

EXAMPLES = "sqlite:///var/motcua.db, postgresql://motcua@127.0.0.1/motcua"

#: Each cause: what is wrong, in both languages (the URL and the fix are added around it).
CAUSES = Catalog(
    {
        "unparsable": (
            "địa chỉ cơ sở dữ liệu không đúng dạng (ví dụ: {examples})",
            "the database URL does not parse (e.g. {examples})",
        ),
        "kind": (
            "loại cơ sở dữ liệu '{kind}' không được hỗ trợ{suggest_vi}; dùng sqlite hoặc "
            "postgresql",
            "database kind '{kind}' is not supported{suggest_en}; use sqlite or postgresql",
        ),
        "refused": (
            "PostgreSQL không trả lời tại {where}: kiểm tra dịch vụ đang chạy "
            "(systemctl status postgresql) và cổng",
            "PostgreSQL does not answer at {where}: check that it runs "
            "(systemctl status postgresql) and the port",
        ),
        "host": (
            "không tìm thấy máy chủ {host}",
            "host {host} not found",
        ),
        "password": (
            "PostgreSQL từ chối tên đăng nhập hoặc mật khẩu",
            "PostgreSQL refuses the user name or password",
        ),
        "role": (
            "PostgreSQL chưa có người dùng {name} (tạo bằng: createuser {name})",
            "PostgreSQL has no user {name} (make it with: createuser {name})",
        ),
        "nodb": (
            "PostgreSQL chưa có cơ sở dữ liệu {name} (tạo bằng: createdb -O <người dùng> {name})",
            "PostgreSQL has no database {name} (make it with: createdb -O <user> {name})",
        ),
        "sqlite_open": (
            "không mở được tệp SQLite {path}: thư mục phải có và ghi được",
            "cannot open the SQLite file {path}: its folder must exist and be writable",
        ),
        "sqlite_folder": (
            "không tạo được thư mục của tệp SQLite {path} ({reason})",
            "cannot make the folder of the SQLite file {path} ({reason})",
        ),
        "readonly": (
            "tệp SQLite {path} chỉ đọc được, không ghi được",
            "the SQLite file {path} is read-only",
        ),
        "other": (
            "không mở được cơ sở dữ liệu ({detail})",
            "cannot open the database ({detail})",
        ),
    }
)


def mask_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _kind(url: str) -> str:
    """The database kind of ``url`` (``postgresql`` of ``postgresql+psycopg://…``)."""
    return url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""


def _sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs/path``: an absolute one)."""
    return url.split(":///", 1)[1] if ":///" in url else url


def _postgres_where(url: str) -> tuple[str, str]:
    """``host:port`` and the host of a PostgreSQL URL."""
    m = re.match(r"^[^:]+://(?:[^@/]*@)?([^/:?]*)(?::(\d+))?", url)
    host = (m.group(1) if m else "") or "localhost"
    port = (m.group(2) if m else None) or "5432"
    return f"{host}:{port}", host


def url_problem(url: str) -> Localized | None:
    """What is wrong with ``url`` before anything connects, if anything is."""
    kind = _kind(url)
    if not kind or not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.IGNORECASE):
        return CAUSES.both("unparsable", examples=EXAMPLES)
    if kind in KINDS:
        return None
    close = difflib.get_close_matches(kind, KINDS[:2], n=1, cutoff=0.75)
    return CAUSES.both(
        "kind",
        kind=kind,
        suggest_vi=f" (có phải ý bạn là {close[0]}?)" if close else "",
        suggest_en=f" (did you mean {close[0]}?)" if close else "",
    )


def _driver_message(error: BaseException) -> str:
    """The driver's own message: the first lines, without SQLAlchemy's wrapping."""
    orig = getattr(error, "orig", None) or error
    return " ".join(str(orig).split())


def _postgres_cause(url: str, text: str) -> Localized | None:
    where, host = _postgres_where(url)
    if "Connection refused" in text or "No such file or directory" in text:
        return CAUSES.both("refused", where=where)
    if "translate host name" in text or "Name or service not known" in text:
        return CAUSES.both("host", host=host)
    if "password authentication failed" in text or "no password supplied" in text:
        return CAUSES.both("password")
    m = re.search(r'(role|database) "([^"]+)" does not exist', text)
    if m:
        return CAUSES.both("role" if m.group(1) == "role" else "nodb", name=m.group(2))
    return None


def _sqlite_cause(url: str, error: BaseException, text: str) -> Localized | None:
    path = _sqlite_path(url)
    if isinstance(error, OSError):
        return CAUSES.both("sqlite_folder", path=path, reason=error.strerror or str(error))
    if "unable to open database file" in text:
        return CAUSES.both("sqlite_open", path=path)
    if "readonly database" in text:
        return CAUSES.both("readonly", path=path)
    return None


def cause_of(url: str, error: BaseException) -> Localized:
    """What went wrong opening the database at ``url``, in both languages."""
    early = url_problem(url)
    if early is not None:
        return early
    text = _driver_message(error)
    if _kind(url) == "sqlite":
        cause = _sqlite_cause(url, error, text)
    else:
        cause = _postgres_cause(url, text)
    return cause or CAUSES.both("other", detail=text[:300])


def is_database_error(error: BaseException, url: str) -> bool:
    """Does ``error`` come from opening the database at ``url``? (An `OSError` only
    when it is about the SQLite file's folder.)"""
    import sqlalchemy.exc

    if isinstance(error, (sqlalchemy.exc.SQLAlchemyError, ModuleNotFoundError)):
        return True
    if isinstance(error, OSError) and _kind(url) == "sqlite":
        name = getattr(error, "filename", None)
        return bool(name) and Path(_sqlite_path(url)).is_relative_to(Path(str(name)))
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(error, psycopg.Error)


def database_lines(url: str, source: Localized, error: BaseException) -> tuple[str, str]:
    """The two lines, Vietnamese then English; ``source``: where the URL was set."""
    cause = cause_of(url, error)
    shown = mask_url(url)
    return (
        f"Lỗi cơ sở dữ liệu {shown}: {cause.vi}. Sửa {source.vi}.",
        f"Database error {shown}: {cause.en}. Fix {source.en}.",
    )


def bare_lines(error: BaseException) -> tuple[str, str]:
    """The two lines for a database error whose URL is not known here."""
    text = _driver_message(error)
    m = re.search(r'server at "([^"]+)", port (\d+)', text)
    cause = _postgres_cause(f"postgresql://{m.group(1)}:{m.group(2)}/", text) if m else None
    cause = cause or CAUSES.both("other", detail=text[:300])
    fix = "server.database_url / MOTCUA_DATABASE_URL"
    return (
        f"Lỗi cơ sở dữ liệu: {cause.vi}. Kiểm tra {fix}.",
        f"Database error: {cause.en}. Check {fix}.",
    )
