"""The server's health as its users would notice it: for ``GET /api/health`` (monitoring,
200 or 503) and the dashboard's status line.

"ok" needs all of: the database answers; the broker link is really working (connected,
subscriptions confirmed and the server's own heartbeat coming back, `server.link_watch`);
this is the only server of the site; the one-box broker runs; ingest keeps up and does
not fail (`IngestWorker.ingest_state`). Each problem is named in ``problems``, in Vietnamese
and English (`PROBLEMS`, a catalog keyed by the problem's code), so the dashboard can show
it as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from protocol.i18n import Catalog
from protocol.version import VERSION
from server.runtime import ServerRuntime


def health_report(rt: ServerRuntime) -> dict[str, Any]:
    db_ok = True
    try:
        with rt.db.read() as s:
            s.execute(text("SELECT 1"))
    except Exception:
        db_ok = False
    g = rt.ingest.health
    db_ok = db_ok and g.db_ok
    link = rt.link_report()
    link_json = link.as_json() if link is not None else {"state": "connecting"}
    link_ok = link is not None and link.ok
    broker = rt.broker_report()
    broker_ok = broker["kind"] == "external" or bool(broker["running"])
    ingest, ingest_reason = rt.ingest.ingest_state()

    problems: list[dict[str, str]] = []
    if not db_ok:
        problems.append(_problem("database"))
    if not broker_ok:
        problems.append(_problem("broker_down", exit=broker["last_exit"]))
    if not link_ok:
        state = link_json["state"]
        problems.append(
            _problem(
                f"link_{state}",
                "link",
                problem=link_json.get("problem") or str(state),
                env=rt.config.server.broker.password_env,
            )
        )
    if ingest != "ok":
        problems.append(_problem(f"ingest_{ingest}", "ingest", reason=ingest_reason or ingest))
    return {
        "status": "ok" if not problems else "degraded",
        "version": VERSION,
        "site": rt.config.site.code,
        "boot_id": str(rt.boot_id),
        "database": "ok" if db_ok else "error",
        "mqtt": "connected" if link is not None and link.connected else "disconnected",
        "broker_link": link_json,
        "broker": broker,
        "gateway": {
            "processed": g.processed,
            "rejected": g.rejected,
            "queued": rt.ingest.queue_depth(),
            "last_error": g.last_error,
        },
        "ingest": {"state": ingest, "reason": ingest_reason},
        "problems": problems,
        "uptime_s": round(rt.uptime_s(), 1),
    }


#: The wording of each problem, by its code (the fallbacks ``link`` and ``ingest`` for a
#: state without wording of its own). English says what the logs would.
PROBLEMS = Catalog(
    {
        "database": ("Cơ sở dữ liệu không trả lời", "database error"),
        "broker_down": (
            "Máy chủ MQTT (Mosquitto) đã dừng, đang khởi động lại",
            "the one-box broker is not running ({exit})",
        ),
        "link": ("Mất kết nối tới máy chủ MQTT", "{problem}"),
        "link_connecting": ("Đang kết nối tới máy chủ MQTT", "{problem}"),
        "link_disconnected": (
            "Mất kết nối tới máy chủ MQTT: trạng thái thiết bị không rõ",
            "{problem}",
        ),
        "link_refused": (
            "Máy chủ MQTT từ chối đăng nhập của phần mềm máy chủ: mật khẩu trong biến "
            "{env} không khớp server.broker.password_hash trong tệp cấu hình (hoặc "
            "Mosquitto chưa nạp lại tệp mật khẩu); đang thử lại",
            "{problem}",
        ),
        "link_subscriptions_lost": (
            "Máy chủ MQTT ngừng chuyển tin cho phần mềm: đang đăng ký nhận lại",
            "{problem}",
        ),
        "link_another_server": (
            "Một máy chủ motcua khác đang dùng tài khoản MQTT này: máy chủ này đã dừng",
            "{problem}",
        ),
        "ingest": ("Xử lý tin nhắn thiết bị gặp lỗi", "{reason}"),
        "ingest_stalled": ("Tin nhắn từ thiết bị đang bị ùn lại, chưa được xử lý", "{reason}"),
        "ingest_failing": ("Tin nhắn từ thiết bị đang bị lỗi khi xử lý", "{reason}"),
    }
)


def _problem(code: str, fallback: str = "", **values: object) -> dict[str, str]:
    """A problem as the dashboard shows it: its code, and its words in both languages."""
    said = PROBLEMS.both(code if code in PROBLEMS else fallback, **values)
    return {"code": code, "vi": said.vi, "en": said.en}
