"""X.509 client certificates: fingerprints, parsing, and where a request's comes from."""
from __future__ import annotations

import hashlib
import ssl
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pasi_core.kernel.clients import CertificateFacts
from pasi_core.kernel.errors import PasiError

PEER_CERTIFICATE_KEY = "pasi.peer_certificate"
"""Where our own TLS development server puts the peer's DER certificate in the WSGI environ."""


class CertificateError(PasiError):
    """A certificate could not be read."""


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER encoding, lower-case hex: how a certificate is registered."""
    return hashlib.sha256(der).hexdigest()


def load_certificate(data: bytes) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise CertificateError(f"not an X.509 certificate: {error}") from None


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def facts(certificate: x509.Certificate) -> CertificateFacts:
    return CertificateFacts(
        fingerprint=fingerprint(certificate.public_bytes(Encoding.DER)),
        subject=certificate.subject.rfc4514_string(),
        not_valid_after_utc=_naive_utc(certificate.not_valid_after_utc),
        not_valid_before_utc=_naive_utc(certificate.not_valid_before_utc))


def certificate_from_header(value: str) -> bytes:
    """The DER bytes of a certificate a proxy forwarded (PEM, URL-escaped as nginx's
    ``$ssl_client_escaped_cert`` sends it, or plain PEM with spaces for newlines)."""
    text = unquote(value).strip()
    if "-----BEGIN CERTIFICATE-----" in text and "\n" not in text:
        body = text.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "")
        text = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body.split()) + "\n-----END CERTIFICATE-----\n"
    return load_certificate(text.encode("ascii", "replace")).public_bytes(Encoding.DER)


def peer_certificate(environ: dict, *, trust_header: bool, header: str) -> bytes | None:
    """The verified client certificate of this request, if any.

    From the TLS connection when this service terminates TLS (the front, our
    development server), else from the proxy's header, but only when the peer
    is a trusted proxy (``trust_header``).  A header sent twice (a forged value
    beside the proxy's) is refused: :class:`CertificateError`.
    """
    der = environ.get(PEER_CERTIFICATE_KEY)
    if der:
        return der
    sock = environ.get("gunicorn.socket")
    if isinstance(sock, ssl.SSLSocket):
        der = sock.getpeercert(binary_form=True)
        if der:
            return der
    if trust_header:
        value = environ.get("HTTP_" + header.upper().replace("-", "_"))
        if value:
            # WSGI servers join repeated headers with commas; a PEM never holds one.
            if "," in value or value.count("BEGIN%20CERTIFICATE") + value.count("BEGIN CERTIFICATE") > 1:
                raise CertificateError("the client certificate header was sent more than once")
            return certificate_from_header(value)
    return None
