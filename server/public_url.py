"""The address citizens' phones open: the ticket's QR code (``/t/{id}``) and the
suggestion box's (``/gop-y``).

``site.public_url`` when the office configured one (a public name behind a reverse
proxy, docs/phone.md). Otherwise the server's own LAN address and HTTP port, so the QR
code on every ticket leads somewhere a phone on the office Wi-Fi can open, instead of
nowhere (``127.0.0.1`` is the phone itself).
"""

from __future__ import annotations

import ipaddress
import socket

from server.config import SiteConfig


def lan_address() -> str:
    """This machine's address on the network its default route (or any private route)
    goes through; ``127.0.0.1`` when it has none. Sends no packet: connecting a UDP
    socket only picks the route."""
    for probe in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))
                address = str(s.getsockname()[0])
        except OSError:
            continue
        if not ipaddress.ip_address(address).is_unspecified:
            return address
    return "127.0.0.1"


def public_base(config: SiteConfig, port: int | None = None) -> str:
    """The base URL for phones, without a trailing slash."""
    configured: str = config.site.public_url.strip().rstrip("/")
    if configured:
        return configured
    http = config.server.http
    host = http.host if http.host not in ("0.0.0.0", "::", "") else lan_address()
    return f"{http.scheme}://{host}:{port or http.port}"


def with_public_url(config: SiteConfig, port: int | None = None) -> SiteConfig:
    """``config`` with ``site.public_url`` filled in (kiosks print it in every QR code)."""
    base = public_base(config, port)
    if base == config.site.public_url:
        return config
    return config.model_copy(update={"site": config.site.model_copy(update={"public_url": base})})
