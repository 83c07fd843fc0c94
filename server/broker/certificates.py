"""A site's private certificate authority and the broker's (and web server's) certificate.

``motcua broker-config tls`` makes them, so an office gets TLS without scripting the
``openssl`` command line: a CA (``ca.key`` + ``ca.crt``) kept on the server, and a server
certificate (``server.key`` + ``server.crt``) naming every address devices and browsers
use. Devices get ``ca.crt`` only and verify the broker against it (name included).

Re-running keeps the CA and issues a new server certificate (new addresses, renewal);
devices need nothing new. A new CA (``force``) means copying ``ca.crt`` to every device.
Keys are ECDSA P-256: small, fast, and accepted by Mosquitto, OpenSSL and browsers.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from server.config import ConfigError
from server.files import replace_file
from server.public_url import lan_address

CA_DAYS = 3650
SERVER_DAYS = 825

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path

    @classmethod
    def in_dir(cls, out_dir: Path) -> TlsFiles:
        return cls(
            out_dir / "ca.crt", out_dir / "ca.key", out_dir / "server.crt", out_dir / "server.key"
        )


@dataclass(frozen=True)
class Issued:
    files: TlsFiles
    #: A new CA was made (devices need the new ``ca.crt``); else the existing one signed.
    new_ca: bool
    hosts: list[str]
    ca_not_after: dt.datetime
    not_after: dt.datetime


def default_hosts() -> list[str]:
    """The names and addresses devices may use for this machine: its host name (short
    and fully qualified), its LAN addresses, ``localhost`` and 127.0.0.1."""
    name = socket.gethostname()
    hosts = [name]
    fqdn = socket.getfqdn()
    if "." in fqdn:
        hosts.append(fqdn)
    hosts += ["localhost", lan_address(), "127.0.0.1"]
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET)
    except OSError:
        infos = []
    hosts += [str(info[4][0]) for info in infos]
    return _unique(h for h in hosts if h and not h.startswith("127.0.1."))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _make_ca(site_name: str, site_code: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = _new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, site_name[:64] or site_code),
            x509.NameAttribute(NameOID.COMMON_NAME, f"motcua {site_code} CA"),
        ]
    )
    now = _now()
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _load_ca(files: TlsFiles) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if not (files.ca_key.exists() and files.ca_cert.exists()):
        missing = files.ca_key if files.ca_cert.exists() else files.ca_cert
        raise ConfigError(
            f"thiếu / missing {missing}: the CA needs both ca.crt and ca.key "
            "(make a new CA with --force, then copy the new ca.crt to every device)"
        )
    key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{files.ca_key}: not a key made by motcua (ECDSA expected)")
    return key, x509.load_pem_x509_certificate(files.ca_cert.read_bytes())


def _server_cert(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
    hosts: Sequence[str],
    days: int,
) -> x509.Certificate:
    now = _now()
    not_after = min(now + dt.timedelta(days=days), ca_cert.not_valid_after_utc)
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0][:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def issue(
    out_dir: Path,
    *,
    site_name: str,
    site_code: str,
    hosts: Sequence[str] = (),
    days: int = SERVER_DAYS,
    force: bool = False,
) -> Issued:
    """Make (or, unless ``force``, keep) the site's CA in ``out_dir`` and issue a new
    server certificate for ``hosts`` (default: `default_hosts`)."""
    if days < 1:
        raise ConfigError("--days must be at least 1")
    names = _unique(h.strip() for h in hosts if h.strip()) or default_hosts()
    files = TlsFiles.in_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    new_ca = force or not (files.ca_key.exists() or files.ca_cert.exists())
    if new_ca:
        ca_key, ca_cert = _make_ca(site_name, site_code)
        replace_file(files.ca_key, _key_pem(ca_key), 0o600)
        replace_file(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    else:
        ca_key, ca_cert = _load_ca(files)
    key = _new_key()
    cert = _server_cert(ca_key, ca_cert, key, names, days)
    replace_file(files.key, _key_pem(key), 0o600)
    replace_file(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return Issued(files, new_ca, names, ca_cert.not_valid_after_utc, cert.not_valid_after_utc)
