"""``pasi-core dev-certs DIR``: a local CA, a server certificate and client
certificates for trying the service over mutual TLS on one machine.

Never use these outside development: the CA key is written next to the
certificates.  Keys are ECDSA P-256 by default, or RSA 2048 (``--key-type rsa``,
for .NET and Mono clients that cannot use EC keys); certificates last 14
months, as PASI's.
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = timedelta(days=427)  # 14 months, as PASI client certificates


@dataclass(frozen=True)
class IssuedCertificate:
    name: str
    certificate: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PASI Core mirror (development)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, 0o600)


KEY_TYPES = ("ec", "rsa")


def _new_key(key_type: str):
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"key type must be one of {', '.join(KEY_TYPES)}")


def _issue(subject: str, issuer_name: x509.Name, issuer_key, public_key, *, is_ca=False,
           server_names=(), client=False) -> x509.Certificate:
    now = datetime.now(UTC)
    # Key identifiers and key usage: Python 3.13's default TLS context verifies strictly
    # (VERIFY_X509_STRICT) and refuses certificates without them.
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + VALIDITY)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    if not is_ca:
        is_rsa = isinstance(public_key, rsa.RSAPublicKey)
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=False, crl_sign=False, content_commitment=False,
            key_encipherment=is_rsa, data_encipherment=False, key_agreement=not is_rsa,
            encipher_only=False, decipher_only=False), critical=True)
    if is_ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    if server_names:
        alternatives: list[x509.GeneralName] = []
        for name in server_names:
            try:
                alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alternatives.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                        critical=False)
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _save(certificate: x509.Certificate, path: Path) -> None:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def generate(directory: str | Path, clients: dict[str, str],
             server_names=("localhost", "127.0.0.1", "::1"), key_type: str = "ec") -> dict[str, IssuedCertificate]:
    """Write ``ca``, ``server`` and one certificate per entry of ``clients``
    (file stem -> common name) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _new_key(key_type)
    ca_name = _name("PASI Core mirror development CA")
    ca = _issue("PASI Core mirror development CA", ca_name, ca_key, ca_key.public_key(), is_ca=True)
    _save(ca, directory / "ca.pem")
    _write_key(ca_key, directory / "ca.key")
    issued = {"ca": IssuedCertificate("ca", directory / "ca.pem", directory / "ca.key")}
    server_key = _new_key(key_type)
    _save(_issue("localhost", ca_name, ca_key, server_key.public_key(), server_names=server_names),
          directory / "server.pem")
    _write_key(server_key, directory / "server.key")
    issued["server"] = IssuedCertificate("server", directory / "server.pem", directory / "server.key")
    for stem, common_name in clients.items():
        key = _new_key(key_type)
        _save(_issue(common_name, ca_name, ca_key, key.public_key(), client=True),
              directory / f"{stem}.pem")
        _write_key(key, directory / f"{stem}.key")
        issued[stem] = IssuedCertificate(common_name, directory / f"{stem}.pem", directory / f"{stem}.key")
    return issued
