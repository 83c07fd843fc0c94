"""TLS for MQTT and HTTPS, with real parts: the CA and certificate `motcua broker-config
tls` makes, Mosquitto with the listeners `motcua broker-config write` (or the one-box
server) configures, devices that verify the CA and the broker's name, and the server's
own HTTPS."""

from __future__ import annotations

import logging
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import yaml
from cryptography import x509
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr
from typer.testing import CliRunner

from motcua.cli import app
from protocol.link import MqttLink
from protocol.settings import BrokerSettings
from server.config import ConfigError, SiteConfig, load_site_config, parse_site_config
from server.public_url import lan_address
from server.runtime import ServerRuntime
from tests.support.devices import request_ticket
from tests.support.processes import interrupt
from tests.support.services import free_port, sqlite_url, unavailable, wait_port
from tests.support.sites import SERVER_PASSWORD, device_password, site_data
from tests.support.waiting import eventually

pytestmark = [pytest.mark.mosquitto]

MOTCUA = str(Path(sys.executable).with_name("motcua"))


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def lan() -> str:
    address = lan_address()
    if address == "127.0.0.1":
        unavailable("this machine has no LAN address to test the listeners from")
    return address


@dataclass
class Certs:
    dir: Path
    other_ca: Path  # a CA of another site

    @property
    def ca(self) -> Path:
        return self.dir / "ca.crt"


def _site_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory, lan: str) -> Certs:
    tmp = tmp_path_factory.mktemp("tls")
    site = _site_yaml(tmp / "site.yaml", site_data())
    hosts = ["--host", "localhost", "--host", "127.0.0.1", "--host", lan]
    _cli("broker-config", "tls", "--config", str(site), "--out", str(tmp / "site"), *hosts)
    _cli("broker-config", "tls", "--config", str(site), "--out", str(tmp / "other"), *hosts)
    return Certs(tmp / "site", tmp / "other" / "ca.crt")


def tls_site_data(
    tmp: Path, certs: Certs, *, embedded: bool, local_plain: bool = True, https: bool = False
) -> dict[str, Any]:
    """The test site with a TLS listener on all addresses and the plain port kept for
    the server on 127.0.0.1 (``local_plain``)."""
    data = site_data()
    server = data["server"]
    server["database_url"] = sqlite_url(tmp)
    server["data_dir"] = str(tmp / "data")
    server["http"] = {"host": "127.0.0.1", "port": free_port()}
    if https:
        server["http"].update(
            tls_cert_file=str(certs.dir / "server.crt"), tls_key_file=str(certs.dir / "server.key")
        )
    server["broker"].update(
        embedded=embedded,
        bind="0.0.0.0",
        host="127.0.0.1",
        port=free_port(),
        tls={
            "port": free_port(),
            "cert_file": str(certs.dir / "server.crt"),
            "key_file": str(certs.dir / "server.key"),
            "ca_file": str(certs.ca),
            "local_plain": local_plain,
        },
    )
    return data


def kiosk_link(
    site: SiteConfig, host: str, ca: Path, device: str = "kiosk-1", port: int | None = None
) -> MqttLink:
    tls = site.server.broker.tls
    assert tls is not None
    settings = BrokerSettings(
        host=host,
        port=port or tls.port,
        username=device,
        password=SecretStr(device_password(device)),
        prefix=site.server.broker.prefix,
        tls_ca_file=ca,
        reconnect_min_s=1,
        reconnect_max_s=2,
    )
    return MqttLink(settings, site.site.code, device)


def handshake(host: str, port: int, ca: Path, server_name: str | None = None) -> None:
    """A TLS handshake as a device makes it: the CA verified, the name checked."""
    with (
        socket.create_connection((host, port), timeout=5) as raw,
        trusting(ca).wrap_socket(raw, server_hostname=server_name or host),
    ):
        pass


def trusting(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def logged(caplog: pytest.LogCaptureFixture, words: str) -> str:
    """The first error logged that contains ``words`` (waited for)."""

    def line() -> str | None:
        found = [r.getMessage() for r in caplog.records if words in r.getMessage()]
        return found[0] if found else None

    return eventually(line, f"a log line saying {words!r}", 15)


def refuses_connection(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


# ------------------------------------------------------------------ the certificates


def test_tls_command_keeps_the_ca_and_renews_the_server_certificate(tmp_path: Path) -> None:
    site = _site_yaml(tmp_path / "site.yaml", site_data())
    out = tmp_path / "tls"
    first = _cli("broker-config", "tls", "-c", str(site), "--out", str(out), "--host", "mc.lan")
    assert "tls_ca_file" in first.output and "ca_file:" in first.output
    assert "CHỈ tệp ca.crt" in first.output  # devices get the CA certificate only
    for key in ("ca.key", "server.key"):
        assert (out / key).stat().st_mode & 0o777 == 0o600, key
    ca_before = (out / "ca.crt").read_bytes()
    cert_before = (out / "server.crt").read_bytes()

    again = _cli(
        "broker-config", "tls", "-c", str(site), "--out", str(out), "--host", "mc.lan",
        "--host", "10.0.0.2", "--days", "30",
    )  # fmt: skip
    assert "giữ nguyên / kept" in again.output
    assert (out / "ca.crt").read_bytes() == ca_before  # devices need nothing new
    cert = x509.load_pem_x509_certificate((out / "server.crt").read_bytes())
    assert (out / "server.crt").read_bytes() != cert_before
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["mc.lan"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["10.0.0.2"]
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 29 <= lifetime.days <= 30

    forced = _cli("broker-config", "tls", "-c", str(site), "--out", str(out), "--force")
    assert "MỚI / NEW" in forced.output
    assert (out / "ca.crt").read_bytes() != ca_before


def test_tls_command_refuses_a_ca_certificate_without_its_key(tmp_path: Path) -> None:
    site = _site_yaml(tmp_path / "site.yaml", site_data())
    out = tmp_path / "tls"
    _cli("broker-config", "tls", "-c", str(site), "--out", str(out), "--host", "mc.lan")
    (out / "ca.key").unlink()
    result = CliRunner().invoke(
        app, ["broker-config", "tls", "-c", str(site), "--out", str(out), "--host", "mc.lan"]
    )
    assert result.exit_code == 2
    assert "ca.key" in result.output and "--force" in result.output


def test_site_yaml_refuses_tls_on_the_plain_port() -> None:
    data = site_data()
    data["server"]["broker"]["tls"] = {
        "port": 1883,
        "cert_file": "s.crt",
        "key_file": "s.key",
        "ca_file": "ca.crt",
    }
    with pytest.raises(ConfigError, match=r"tls\.port 1883 is also the plain port"):
        parse_site_config(data, "test-site")


TLS = {"port": 8883, "cert_file": "s.crt", "key_file": "s.key", "ca_file": "ca.crt"}


@pytest.mark.parametrize(
    ("broker", "expected"),
    [
        ({}, (1883, None)),  # no TLS: as before
        ({"tls": TLS}, (1883, None)),  # on this machine: the plain loopback port
        ({"tls": {**TLS, "local_plain": False}}, (8883, Path("ca.crt"))),
        ({"tls": TLS, "host": "10.0.0.2"}, (8883, Path("ca.crt"))),  # Mosquitto elsewhere
        ({"tls_ca_file": "hand.crt", "port": 8884}, (8884, Path("hand.crt"))),  # older key
    ],
)
def test_where_the_server_connects(broker: dict[str, Any], expected: tuple[int, Any]) -> None:
    data = site_data()
    data["server"]["broker"].update({"port": 1883, **broker})
    placement = parse_site_config(data, "test-site").server.broker
    assert placement.link_endpoint() == expected


# ------------------------------------------------------------------ Mosquitto run apart


@pytest.fixture
def production(tmp_path: Path, certs: Certs) -> Iterator[tuple[SiteConfig, ServerRuntime]]:
    """Mosquitto run with the files `motcua broker-config write` made from a site YAML
    with TLS, and a server connected to it."""
    site_file = _site_yaml(tmp_path / "site.yaml", tls_site_data(tmp_path, certs, embedded=False))
    out = tmp_path / "mosquitto"
    written = _cli("broker-config", "write", "-c", str(site_file), "--out", str(out))
    assert "plain port: 127.0.0.1 only" in written.output
    conf = out / "mosquitto.conf"
    if os.geteuid() == 0:  # as root, Mosquitto would switch to the `mosquitto` user
        with conf.open("a", encoding="utf-8") as f:
            f.write("user root\n")
    site = load_site_config(site_file)
    tls = site.server.broker.tls
    assert tls is not None
    log = (tmp_path / "mosquitto.log").open("wb")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    rt: ServerRuntime | None = None
    try:
        wait_port(tls.port, timeout=15)
        rt = ServerRuntime(
            site, embedded_broker=False, mqtt_password=SERVER_PASSWORD, heartbeat_s=1.0
        )
        rt.start()
        assert rt.wait_ready(15), "the server could not connect on the plain local port"
        yield site, rt
    finally:
        if rt is not None:
            rt.stop()
        proc.terminate()
        proc.wait(10)
        log.close()


def test_a_device_with_the_site_ca_gets_a_number_over_tls(
    production: tuple[SiteConfig, ServerRuntime], certs: Certs, lan: str
) -> None:
    site, _rt = production
    link = kiosk_link(site, lan, certs.ca)  # the LAN address is in the certificate
    link.start()
    try:
        assert link.wait_connected(15), "the kiosk could not connect over TLS"
        response = request_ticket(link, "tp")
        assert response.ok and response.ticket is not None
        assert response.ticket.number.startswith("A")
    finally:
        link.stop()


def test_a_device_with_another_ca_is_refused(
    production: tuple[SiteConfig, ServerRuntime],
    certs: Certs,
    lan: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site, _rt = production
    tls = site.server.broker.tls
    assert tls is not None
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(lan, tls.port, certs.other_ca)
    handshake(lan, tls.port, certs.ca)  # the site's own CA: accepted
    caplog.set_level(logging.DEBUG, "protocol.mqtt.connection")
    link = kiosk_link(site, lan, certs.other_ca)
    link.start()
    try:
        # The device's log says why, once, and what to check; the retries are quiet.
        said = logged(caplog, "is not trusted")
        assert "certificate verify failed" in said and "this site's ca.crt" in said
        logged(caplog, "failed again")
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1, [r.getMessage() for r in errors]
        assert not link.connected.is_set()
    finally:
        link.stop()


def test_a_device_with_the_wrong_host_name_is_refused(
    production: tuple[SiteConfig, ServerRuntime], certs: Certs, caplog: pytest.LogCaptureFixture
) -> None:
    """127.0.0.2 is this machine too, but not a name in the certificate."""
    site, _rt = production
    tls = site.server.broker.tls
    assert tls is not None
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake("127.0.0.2", tls.port, certs.ca)
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake("127.0.0.1", tls.port, certs.ca, server_name="may-chu-khac.lan")
    link = kiosk_link(site, "127.0.0.2", certs.ca)
    link.start()
    try:
        said = logged(caplog, "does not name '127.0.0.2'")
        assert "motcua broker-config tls --host 127.0.0.2" in said
        assert not link.connected.is_set()
    finally:
        link.stop()


def test_the_plain_port_answers_only_on_this_machine(
    production: tuple[SiteConfig, ServerRuntime],
    certs: Certs,
    lan: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site, rt = production
    plain = site.server.broker.port
    assert refuses_connection(lan, plain), "plain MQTT reachable from the LAN"
    with socket.create_connection(("127.0.0.1", plain), timeout=5):
        pass  # the server's own link, on loopback
    assert rt.link is not None and rt.link.connection.settings.tls_ca_file is None

    # A device told to use TLS on the plain port says which port to check.
    link = kiosk_link(site, "127.0.0.1", certs.ca, port=plain)
    link.start()
    try:
        assert "TLS handshake with 127.0.0.1" in logged(caplog, "the broker's TLS port")
    finally:
        link.stop()


def _tls_client(host: str, port: int, ca: Path, client_id: str) -> tuple[Any, threading.Event]:
    """A raw paho client of kiosk-1 over TLS, and the event set when it is disconnected."""
    dropped = threading.Event()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
    c.username_pw_set("kiosk-1", device_password("kiosk-1"))
    c.tls_set(ca_certs=str(ca))
    c.on_disconnect = lambda *_: dropped.set()
    c.connect(host, port)
    c.loop_start()
    return c, dropped


def test_the_tls_listener_keeps_one_connection_per_account(
    production: tuple[SiteConfig, ServerRuntime], certs: Certs, lan: str
) -> None:
    """The listener's own hardening holds on the TLS port too: a second connection
    with kiosk-1's password, whatever client id it claims, replaces the first."""
    site, _rt = production
    tls = site.server.broker.tls
    assert tls is not None
    first, first_dropped = _tls_client(lan, tls.port, certs.ca, "kiosk-1")
    second, _ = _tls_client(lan, tls.port, certs.ca, "not-kiosk-1")
    try:
        eventually(first_dropped.is_set, "the first connection replaced by the second", 10)
    finally:
        for c in (first, second):
            c.disconnect()
            c.loop_stop()


# ------------------------------------------------------------------ the one-box server


@pytest.fixture
def one_box(tmp_path: Path, certs: Certs) -> Iterator[SiteConfig]:
    """``motcua server`` with its own Mosquitto, TLS only (no plain port), and HTTPS."""
    data = tls_site_data(tmp_path, certs, embedded=True, local_plain=False, https=True)
    site_file = _site_yaml(tmp_path / "site.yaml", data)
    site = load_site_config(site_file)
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [MOTCUA, "server", "--config", str(site_file)],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PATH": "/usr/bin:/bin:/usr/sbin"},
    )
    try:
        wait_port(site.server.http.port, timeout=60)
        yield site
    finally:
        interrupt(proc)
        log.close()
    assert proc.returncode == 0, (tmp_path / "server.log").read_text()


def test_one_box_server_serves_https_and_mqtt_over_tls_only(
    one_box: SiteConfig, certs: Certs, lan: str
) -> None:
    site = one_box
    url = f"https://127.0.0.1:{site.server.http.port}/api/health"

    def healthy() -> bool:
        r = httpx.get(url, verify=trusting(certs.ca), timeout=5)
        return r.status_code == 200 and r.json()["mqtt"] == "connected"

    eventually(healthy, "the server's HTTPS health to say the broker link is up", 30)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url, verify=trusting(certs.other_ca), timeout=5)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url, timeout=5)  # the system's CAs do not know the site's
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url.replace("https:", "http:"), timeout=5)  # no plain HTTP
    login = httpx.get(url.replace("/api/health", "/login"), verify=trusting(certs.ca), timeout=5)
    assert login.status_code == 200
    assert "secure" in login.headers["set-cookie"].lower()  # cookies only over HTTPS

    assert refuses_connection("127.0.0.1", site.server.broker.port), "plain MQTT still open"
    link = kiosk_link(site, lan, certs.ca)
    link.start()
    try:
        assert link.wait_connected(15), "the kiosk could not connect over TLS"
        response = request_ticket(link, "dd")
        assert response.ok and response.ticket is not None
        assert response.ticket.number.startswith("B")
    finally:
        link.stop()


def test_the_server_names_a_certificate_file_it_cannot_read(tmp_path: Path, certs: Certs) -> None:
    data = tls_site_data(tmp_path, certs, embedded=True, https=True)
    data["server"]["http"]["tls_key_file"] = str(tmp_path / "missing" / "server.key")
    site_file = _site_yaml(tmp_path / "site.yaml", data)
    done = subprocess.run(
        [MOTCUA, "server", "--config", str(site_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": "/usr/bin:/bin:/usr/sbin"},
    )
    assert done.returncode == 2, done.stderr
    said = done.stderr.strip().splitlines()
    assert len(said) == 1, done.stderr  # one line, no traceback
    assert f"server.http.tls_key_file: {tmp_path / 'missing' / 'server.key'}" in said[0]
    assert "motcua broker-config tls" in said[0]
