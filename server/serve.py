"""``motcua server``: start the runtime, then serve HTTP until interrupted."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from server.app import create_app
from server.config import HttpSettings, SiteConfig
from server.files import private_dir, restrict_sqlite
from server.public_url import with_public_url
from server.runtime import ServerRuntime, StartupError

log = logging.getLogger(__name__)


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def http_config(app: FastAPI, http: HttpSettings, port: int) -> uvicorn.Config:
    """uvicorn for ``app``. X-Forwarded-For/-Proto are believed only from the proxies in
    ``server.http.trusted_proxies`` (uvicorn's default trusts them from 127.0.0.1, so any
    local process, or a proxy passing them on, could choose its address)."""
    proxies = http.trusted_proxies
    return uvicorn.Config(
        app,
        host=http.host,
        port=port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or [],
        # HTTPS straight from uvicorn (server.http.tls_cert_file / tls_key_file)
        ssl_certfile=http.tls_cert_file,
        ssl_keyfile=http.tls_key_file,
        # An idle HTTPS keep-alive connection (a browser, the board TV) would hold the
        # stop for asyncio's 30 s TLS close: past systemd's TimeoutStopSec, hence SIGKILL
        # before `rt.stop()` (tests/integration/test_operations_doc.py).
        timeout_graceful_shutdown=5,
    )


def unreadable_tls_files(config: SiteConfig, embedded: bool) -> list[str]:
    """The certificate and key files the site YAML names for this process (HTTPS, the
    one-box broker, the link's CA) that it cannot read: said before anything starts,
    rather than as uvicorn's traceback or Mosquitto's last words."""
    http, broker = config.server.http, config.server.broker
    named: dict[str, Path | None] = {
        "server.http.tls_cert_file": http.tls_cert_file,
        "server.http.tls_key_file": http.tls_key_file,
        "server.broker (the server's CA)": broker.link_endpoint()[1],
        "hub.ca_file (the hub's CA)": config.hub.ca_file if config.hub else None,
    }
    if embedded and broker.tls is not None:
        named["server.broker.tls.cert_file"] = broker.tls.cert_file
        named["server.broker.tls.key_file"] = broker.tls.key_file
        named["server.broker.tls.ca_file"] = broker.tls.ca_file
    return [
        f"{field}: {path}"
        for field, path in named.items()
        if path is not None and not os.access(path, os.R_OK)
    ]


def mqtt_lines(config: SiteConfig, rt: ServerRuntime) -> list[str]:
    """The start banner's broker lines: where devices connect, and how."""
    broker = config.server.broker
    tls = broker.tls
    if rt.use_embedded:
        bind = "127.0.0.1" if tls is not None and tls.local_plain else broker.bind
        where = f"{bind}:{rt.port} (embedded: Mosquitto started by the server)"
    else:
        where = f"{broker.host}:{rt.port}"
    lines = [f"  MQTT:  mqtt://{where}   topics {config.topics.root}/…"]
    if tls is not None:
        lines = lines if tls.local_plain else []
        lines.append(f"  MQTT:  mqtts://{broker.bind}:{tls.port} (TLS, CA {tls.ca_file})")
    return lines


def serve(
    config: SiteConfig,
    *,
    database_url: str | None = None,
    http_port: int | None = None,
    broker_port: int | None = None,
    banner: str | None = None,
    on_ready: Callable[[ServerRuntime], Callable[[], None]] | None = None,
) -> None:
    """Run until interrupted. ``on_ready(rt)`` runs once the server is up (the demo
    starts its devices there) and returns what to run before the server stops."""
    http = config.server.http
    port = http_port or http.port
    # Kiosks print the phones' address in every ticket's QR code: never an empty one.
    config = with_public_url(config, port)
    rt = ServerRuntime(config, database_url=database_url, broker_port=broker_port)
    if not port_free(http.host, port):
        print(
            f"cổng HTTP {port} đang bận / HTTP port {port} is in use on {http.host}",
            file=sys.stderr,
        )
        raise SystemExit(2)
    unreadable = unreadable_tls_files(config, rt.use_embedded)
    if unreadable:
        print(
            "không đọc được tệp chứng chỉ / cannot read the certificate files "
            f"({'; '.join(unreadable)}): make them with `motcua broker-config tls`, or fix "
            "the path in the site YAML or the file's owner and mode",
            file=sys.stderr,
        )
        raise SystemExit(2)
    try:
        private_dir(config.server.data_dir)
        rt.start()
    except (StartupError, RuntimeError, OSError) as e:
        print(f"không khởi động được / cannot start: {e}", file=sys.stderr)
        rt.stop()
        raise SystemExit(2) from None
    # A database (and its -wal/-shm) made by an older version may be readable by all;
    # SQLite gives new -wal/-shm files the database's mode.
    restrict_sqlite(rt.db.url)
    server = uvicorn.Server(http_config(create_app(rt), http, port))
    shown = "127.0.0.1" if http.host in ("0.0.0.0", "::") else http.host
    print(banner or f"motcua: {config.site.name}", flush=True)
    base = f"{http.scheme}://{shown}:{port}"
    print(f"  HTTP:  {base}/   (API: {base}/docs)", flush=True)
    phones = config.site.public_url
    print(f"  Điện thoại / phones (QR): {phones}/t/…   {phones}/gop-y", flush=True)
    for line in mqtt_lines(config, rt):
        print(line, flush=True)
    print(f"  DB:    {rt.db.engine.url.render_as_string(hide_password=True)}", flush=True)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal; its default
    # action would kill us before `rt.stop()` (status offline, broker, SQLite WAL).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Another server holds the site (server.link_watch): stop serving, exit 2 below.
    rt.fatal_hooks.append(lambda _reason: setattr(server, "should_exit", True))
    cleanup = on_ready(rt) if on_ready is not None else None
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if cleanup is not None:
            cleanup()
        rt.stop()
    if rt.fatal:
        print(f"đã dừng / stopped: {rt.fatal}", file=sys.stderr, flush=True)
        raise SystemExit(2)
