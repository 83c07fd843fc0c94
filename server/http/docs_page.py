"""An API reference page that works without internet.

FastAPI's default /docs loads Swagger UI from a CDN, which a commune office LAN cannot
reach. This page is rendered on the server from the same OpenAPI document.
"""

from __future__ import annotations

from html import escape
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


def render(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    rows = []
    for path, ops in sorted(schema.get("paths", {}).items()):
        for method in _METHODS:
            op = ops.get(method)
            if op is None:
                continue
            doc = op.get("description") or op.get("summary") or ""
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            rows.append(
                f"<tr><td class=m>{method.upper()}</td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(params)}</td><td>{escape(doc)}</td></tr>"
            )
    title = f"{escape(info.get('title', ''))} {escape(info.get('version', ''))}"
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>{escape(info.get("title", "API"))} — API</title>
<style>
body {{ font-family: sans-serif; margin: 2rem; color: #111; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ccc; padding: .4rem .6rem; text-align: left; }}
td.m {{ font-weight: bold; }}
</style></head><body>
<h1>{title} — giao diện lập trình (API)</h1>
<p>{escape(info.get("description", ""))}</p>
<p>Lược đồ OpenAPI đầy đủ / full OpenAPI schema: <a href="/openapi.json">/openapi.json</a>.
Đăng nhập bằng <code>POST /api/login</code>, rồi gửi <code>Authorization: Bearer …</code>.</p>
<table><tr><th>Phương thức</th><th>Đường dẫn / path</th><th>Tham số</th><th>Mô tả</th></tr>
{"".join(rows)}
</table></body></html>"""
