"""TLS material for a local broker: a private CA, a broker certificate and a client certificate.

Made with the ``cryptography`` package, written as PEM files (what Kafka's
``ssl.keystore.type=PEM`` and the Python clients read):

- ``ca.pem``: the CA certificate (clients trust it with ``--ssl-cafile``);
- ``broker.pem``, ``broker-key.pem``: the broker's chain and key, valid for
  ``127.0.0.1`` and ``localhost`` (both in ``broker-keystore.pem`` too);
- ``client.pem``, ``client-key.pem``: a client certificate for mutual TLS
  (``--ssl-certfile``, ``--ssl-keyfile``).

Keys are unencrypted and readable by their owner only (mode 0600).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TlsFiles", "make_tls_files"]

_DAYS = 825


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the PEM files in one directory."""

    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def broker_cert(self) -> Path:
        return self.directory / "broker.pem"

    @property
    def broker_key(self) -> Path:
        return self.directory / "broker-key.pem"

    @property
    def broker_keystore(self) -> Path:
        """The broker's key and chain in one file (Kafka's ``ssl.keystore.type=PEM``)."""
        return self.directory / "broker-keystore.pem"

    @property
    def client_cert(self) -> Path:
        return self.directory / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.directory / "client-key.pem"

    def complete(self) -> bool:
        return all(p.exists() for p in (self.ca, self.broker_cert, self.broker_key, self.broker_keystore,
                                        self.client_cert, self.client_key))


def _key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "trendwatch local broker"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key, issuer_name, issuer_key, *, ca: bool, sans=(), usage=None):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name or _name(subject))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=_DAYS))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=not ca, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                            encipher_only=False, decipher_only=False), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(path: Path, data: bytes, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _pem_key(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_tls_files(directory: Path, ca_name: str = "trendwatch local CA") -> TlsFiles:
    """Create (or keep, if all are there) a CA, a broker and a client certificate in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    files = TlsFiles(Path(directory))
    if files.complete():
        return files
    ca_key = _key()
    ca = _certificate(ca_name, ca_key, None, None, ca=True)
    pem = serialization.Encoding.PEM
    _write(files.ca, ca.public_bytes(pem))
    broker_key = _key()
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    broker = _certificate("localhost", broker_key, ca.subject, ca_key, ca=False, sans=sans,
                          usage=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
    _write(files.broker_key, _pem_key(broker_key), secret=True)
    chain = broker.public_bytes(pem) + ca.public_bytes(pem)
    _write(files.broker_cert, chain)
    _write(files.broker_keystore, _pem_key(broker_key) + chain, secret=True)
    client_key = _key()
    client = _certificate("trendwatch-client", client_key, ca.subject, ca_key, ca=False,
                          usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    _write(files.client_key, _pem_key(client_key), secret=True)
    _write(files.client_cert, client.public_bytes(pem))
    return files
