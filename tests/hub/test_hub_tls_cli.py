"""``motcua hub tls``: the hub's CA and the certificate of its offices' listener, as an
operator makes them; a real hub Mosquitto serves the certificate and an office's client
that trusts only the hub's CA logs in (and one that trusts another CA, or asks for a
name the certificate lacks, is turned away)."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner, Result

from motcua.cli import app
from server.broker.certificates import issue
from tests.support.hub import Hub, make_hub, office_client
from tests.support.services import create_pg_database


def _tls(config: Path, out: Path, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["hub", "tls", "--config", str(config), "--out", str(out), *args],
        terminal_width=200,
    )


def _names(cert: Path) -> list[str]:
    loaded = x509.load_pem_x509_certificate(cert.read_bytes())
    san = loaded.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n) for n in san.get_values_for_type(x509.DNSName)] + [
        str(a) for a in san.get_values_for_type(x509.IPAddress)
    ]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    pg = create_pg_database()
    rig = make_hub(tmp_path / "hub", pg)
    # the rig's own certificates go: the command under test makes them
    shutil.rmtree(rig.workdir / "tls")
    try:
        yield rig
    finally:
        rig.stop()
        pg.drop()


def _refused(hub: Hub, host: str, ca: Path) -> ssl.SSLError:
    """An office's client that must not get through the TLS handshake."""
    account = hub.accounts["xa-a"]
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=account.username, protocol=mqtt.MQTTv311
    )
    client.username_pw_set(account.username, account.password)
    client.tls_set(ca_certs=str(ca))
    with pytest.raises(ssl.SSLError) as refused:
        client.connect(host, hub.config.broker.wan.port)
    return refused.value


def test_the_hub_certificate_lets_an_office_that_trusts_the_hub_ca_in(hub: Hub) -> None:
    tls = hub.workdir / "tls"
    result = _tls(hub.config_file, tls, "--host", "127.0.0.1", "--host", "hub.thu.gov.vn")
    assert result.exit_code == 0, result.output

    for name, mode in (("ca.key", 0o600), ("server.key", 0o600), ("ca.crt", 0o644)):
        assert _mode(tls / name) == mode, name
    assert (tls / "server.crt").exists()
    assert sorted(_names(tls / "server.crt")) == ["127.0.0.1", "hub.thu.gov.vn"]
    ca = x509.load_pem_x509_certificate((tls / "ca.crt").read_bytes())
    x509.load_pem_x509_certificate((tls / "server.crt").read_bytes()).verify_directly_issued_by(ca)
    assert "Tỉnh Thử Nghiệm" in ca.subject.rfc4514_string()  # the hub's name

    out = result.output
    assert "MỚI / NEW" in out
    assert "/etc/motcua/hub-ca.crt" in out  # where each office keeps it: its hub.ca_file
    for line in (
        f"cert_file: {tls / 'server.crt'}",
        f"key_file: {tls / 'server.key'}",
        f"ca_file: {tls / 'ca.crt'}",
        "public_host: 127.0.0.1",
    ):
        assert line in out, line
    assert "CHÚ Ý / NOTE" not in out  # hub.yaml's public_host is in the certificate
    assert "BEGIN" not in out  # no key (nor certificate) on the screen

    # the real hub broker with these files on its offices' listener
    hub.add_office("xa-a", "UBND xã A", "Cụm 1")
    hub.start_broker()
    office = office_client(hub, "xa-a")  # verifies the hub against tls/ca.crt
    office.loop_stop()
    office.disconnect()

    other = hub.workdir / "other-ca"
    issue(other, site_name="Khác", site_code="other", hosts=["127.0.0.1"])
    wrong_ca = _refused(hub, "127.0.0.1", other / "ca.crt")
    assert isinstance(wrong_ca, ssl.SSLCertVerificationError)
    wrong_name = _refused(hub, "localhost", tls / "ca.crt")  # not a name in the certificate
    assert isinstance(wrong_name, ssl.SSLCertVerificationError)
    assert "localhost" in str(wrong_name)


def test_a_second_run_keeps_the_ca_unless_forced(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        'name: "Tỉnh Thử"\nbroker:\n  wan:\n    public_host: hub.thu.gov.vn\n', encoding="utf-8"
    )
    tls = tmp_path / "tls"
    first = _tls(config, tls)
    assert first.exit_code == 0, first.output
    assert _names(tls / "server.crt") == ["hub.thu.gov.vn"]  # default: broker.wan.public_host
    ca, ca_key, cert = ((tls / n).read_bytes() for n in ("ca.crt", "ca.key", "server.crt"))

    renewed = _tls(config, tls, "--days", "30")
    assert renewed.exit_code == 0, renewed.output
    assert "giữ nguyên / kept" in renewed.output
    assert (tls / "ca.crt").read_bytes() == ca
    assert (tls / "ca.key").read_bytes() == ca_key
    assert (tls / "server.crt").read_bytes() != cert
    assert _mode(tls / "server.key") == 0o600
    loaded = x509.load_pem_x509_certificate((tls / "server.crt").read_bytes())
    loaded.verify_directly_issued_by(x509.load_pem_x509_certificate(ca))  # offices: nothing new
    lifetime = loaded.not_valid_after_utc - loaded.not_valid_before_utc
    assert 29 < lifetime.days <= 30

    forced = _tls(config, tls, "--force")
    assert forced.exit_code == 0, forced.output
    assert "MỚI / NEW" in forced.output
    assert (tls / "ca.crt").read_bytes() != ca
    assert (tls / "ca.key").read_bytes() != ca_key


def test_a_name_the_offices_do_not_use_is_pointed_out(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        'name: "Tỉnh Thử"\nbroker:\n  wan:\n    public_host: hub.thu.gov.vn\n', encoding="utf-8"
    )
    result = _tls(config, tmp_path / "tls", "--host", "10.0.0.5")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "public_host là / is hub.thu.gov.vn, không có trong chứng chỉ" in said
    assert ipaddress.ip_address(_names(tmp_path / "tls" / "server.crt")[0])


def test_no_name_no_config_and_bad_days_are_refused_clearly(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text('name: "Tỉnh Thử"\n', encoding="utf-8")  # public_host left as default
    no_name = _tls(config, tmp_path / "tls")
    assert no_name.exit_code == 2
    assert "give --host" in " ".join(no_name.output.split())
    assert not (tmp_path / "tls").exists()

    missing = _tls(tmp_path / "nowhere.yaml", tmp_path / "tls", "--host", "h.vn")
    assert missing.exit_code == 2
    assert "không tìm thấy tệp / file not found" in missing.output

    days = _tls(config, tmp_path / "tls", "--host", "h.vn", "--days", "0")
    assert days.exit_code == 2
    assert "--days must be at least 1" in days.output
    assert "Traceback" not in days.output
