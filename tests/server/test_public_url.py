"""The address phones open from a ticket's QR code: the configured one, else the
server's LAN address (never empty, never 127.0.0.1 when the machine has a network)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from server.public_url import lan_address, public_base, with_public_url
from tests.support.sites import make_site


def test_the_configured_address_wins_without_its_trailing_slash() -> None:
    site = make_site(site={"public_url": "https://motcua.gialoc.gov.vn/"})
    assert public_base(site) == "https://motcua.gialoc.gov.vn"
    assert with_public_url(site).site.public_url == "https://motcua.gialoc.gov.vn"


def test_without_one_the_lan_address_and_the_http_port() -> None:
    site = make_site(site={"public_url": ""}, server={"http": {"host": "0.0.0.0", "port": 8123}})
    base = public_base(site)
    parts = urlsplit(base)
    assert parts.scheme == "http" and parts.port == 8123
    assert parts.hostname == lan_address()
    ipaddress.ip_address(parts.hostname)  # an address a phone can type, not a name
    filled = with_public_url(site, port=9000)
    assert filled.site.public_url == f"http://{lan_address()}:9000"
    # the rest of the configuration is untouched
    assert filled.desks == site.desks and filled.site.code == site.site.code


def test_a_server_bound_to_one_address_gives_that_address() -> None:
    site = make_site(site={"public_url": ""}, server={"http": {"host": "192.168.1.20", "port": 80}})
    assert public_base(site) == "http://192.168.1.20:80"
