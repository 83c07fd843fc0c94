"""The server's health as its users would notice it: for ``GET /api/health`` (monitoring,
200 or 503) and the dashboard's status line.

"ok" needs all of: the database answers; the broker link is really working (connected,
subscriptions confirmed and the server's own heartbeat coming back, `server.link_watch`);
this is the only server of the site; the one-box broker runs; ingest keeps up and does
not fail (`Gateway.ingest_state`). Each problem is named in ``problems``, in Vietnamese
and English, so the dashboard can show it as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from server import __version__
from server.runtime import ServerRuntime


def health_report(rt: ServerRuntime) -> dict[str, Any]:
    db_ok = True
    try:
        with rt.db.read() as s:
            s.execute(text("SELECT 1"))
    except Exception:
        db_ok = False
    g = rt.gateway.health
    db_ok = db_ok and g.db_ok
    link = rt.link_report()
    link_json = link.as_json() if link is not None else {"state": "connecting"}
    link_ok = link is not None and link.ok
    broker = rt.broker_report()
    broker_ok = broker["kind"] == "external" or bool(broker["running"])
    ingest, ingest_reason = rt.gateway.ingest_state()

    problems: list[dict[str, str]] = []
    if not db_ok:
        problems.append(
            {"code": "database", "vi": "Cơ sở dữ liệu không trả lời", "en": "database error"}
        )
    if not broker_ok:
        problems.append(
            {
                "code": "broker_down",
                "vi": "Máy chủ MQTT (Mosquitto) đã dừng, đang khởi động lại",
                "en": f"the one-box broker is not running ({broker['last_exit']})",
            }
        )
    if not link_ok:
        problems.append(
            {
                "code": f"link_{link_json['state']}",
                "vi": _LINK_VI.get(link_json["state"], "Mất kết nối tới máy chủ MQTT"),
                "en": link_json.get("problem") or str(link_json["state"]),
            }
        )
    if ingest != "ok":
        problems.append(
            {
                "code": f"ingest_{ingest}",
                "vi": _INGEST_VI.get(ingest, "Xử lý tin nhắn thiết bị gặp lỗi"),
                "en": ingest_reason or ingest,
            }
        )
    return {
        "status": "ok" if not problems else "degraded",
        "version": __version__,
        "site": rt.config.site.code,
        "boot_id": str(rt.boot_id),
        "database": "ok" if db_ok else "error",
        "mqtt": "connected" if link is not None and link.connected else "disconnected",
        "broker_link": link_json,
        "broker": broker,
        "gateway": {
            "processed": g.processed,
            "rejected": g.rejected,
            "queued": rt.gateway.queue_depth(),
            "last_error": g.last_error,
        },
        "ingest": {"state": ingest, "reason": ingest_reason},
        "problems": problems,
        "uptime_s": round(rt.uptime_s(), 1),
    }


_LINK_VI = {
    "connecting": "Đang kết nối tới máy chủ MQTT",
    "disconnected": "Mất kết nối tới máy chủ MQTT: trạng thái thiết bị không rõ",
    "subscriptions_lost": "Máy chủ MQTT ngừng chuyển tin cho phần mềm: đang đăng ký nhận lại",
    "another_server": "Một máy chủ motcua khác đang dùng tài khoản MQTT này: máy chủ này đã dừng",
}
_INGEST_VI = {
    "stalled": "Tin nhắn từ thiết bị đang bị ùn lại, chưa được xử lý",
    "failing": "Tin nhắn từ thiết bị đang bị lỗi khi xử lý",
}
