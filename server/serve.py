"""``motcua server``: start the runtime, then serve HTTP until interrupted."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from collections.abc import Callable

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
    )


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
    print(f"  HTTP:  http://{shown}:{port}/   (API: http://{shown}:{port}/docs)", flush=True)
    phones = config.site.public_url
    print(f"  Điện thoại / phones (QR): {phones}/t/…   {phones}/gop-y", flush=True)
    broker = config.server.broker
    where = (
        f"{broker.bind}:{rt.port} (embedded: Mosquitto started by the server)"
        if rt.use_embedded
        else f"{broker.host}:{rt.port}"
    )
    print(f"  MQTT:  mqtt://{where}   topics {config.topics.root}/…", flush=True)
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
