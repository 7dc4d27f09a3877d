"""Secured listeners for the local broker: SASL_SSL, SSL (mutual TLS) and SASL_PLAINTEXT.

``BrokerSecurity`` says which secured listeners a ``LocalBroker`` opens
beside its PLAINTEXT one (which stays on 127.0.0.1 for the broker itself and
for local administration), and with which users:

- ``SASL_SSL``: SCRAM-SHA-512 and SCRAM-SHA-256 over TLS;
- ``SSL``: TLS with a client certificate required (mutual TLS);
- ``SASL_PLAINTEXT``: PLAIN, SCRAM-SHA-512 and SCRAM-SHA-256 without TLS.

SCRAM users are created when the storage is formatted
(``StorageTool format --add-scram``); PLAIN users live in the listener's JAAS
configuration. The broker's certificate is signed by a CA made in
``tls_dir`` (``streams.kafka.certs``); clients trust ``tls_dir/ca.pem``.

>>> sec = BrokerSecurity(users=(("alice", "pw"),), ports={"SASL_SSL": 9094})
>>> sec.listeners()
['SASL_SSL://127.0.0.1:9094']
>>> sec.scram_arguments()
['--add-scram', 'SCRAM-SHA-512=[name=alice,password=pw]', '--add-scram', 'SCRAM-SHA-256=[name=alice,password=pw]']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BrokerSecurity", "SECURED_PROTOCOLS"]

SECURED_PROTOCOLS = ("SASL_SSL", "SSL", "SASL_PLAINTEXT")
_MECHANISMS = {"SASL_SSL": ("SCRAM-SHA-512", "SCRAM-SHA-256"),
               "SASL_PLAINTEXT": ("PLAIN", "SCRAM-SHA-512", "SCRAM-SHA-256")}
_LOGIN = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
          "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
          "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule"}


def _quoted(text: str) -> str:
    """A double-quoted JAAS / SCRAM value (the password check keeps quotes and backslashes out)."""
    return f'"{text}"'


def _property(value: str) -> str:
    r"""``value`` escaped for a Java properties file (read as ISO-8859-1, backslash escapes).

    >>> print(_property('a\\b "é"'))
    a\\b "\u00e9"
    """
    out = []
    for char in value.replace("\\", "\\\\"):
        if char == "\n":
            out.append("\\n")
        elif ord(char) < 128:
            out.append(char)
        else:
            units = char.encode("utf-16-be")
            out += [f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2)]
    return "".join(out)


@dataclass(frozen=True)
class BrokerSecurity:
    """Which secured listeners to open (``ports``: protocol -> port) and the users they accept."""

    users: tuple[tuple[str, str], ...] = ()
    ports: dict[str, int] = field(default_factory=dict)
    tls_dir: Path | None = None

    def __post_init__(self):
        unknown = set(self.ports) - set(SECURED_PROTOCOLS)
        if unknown:
            raise ValueError(f"ports: unknown protocol(s) {sorted(unknown)}; use {', '.join(SECURED_PROTOCOLS)}")
        if any(p.startswith("SASL_") for p in self.ports) and not self.users:
            raise ValueError("users: a SASL listener needs at least one user")
        for name, _ in self.users:
            if not name or any(c in name for c in ',=[]"\\ '):
                raise ValueError(f"users: {name!r} is not a plain user name")
        for name, password in self.users:
            if not password or any(c in password for c in ',[]"\\') or not password.isprintable() \
                    or any(c.isspace() for c in password):
                raise ValueError(f"users: the password of {name} must be printable, without spaces, commas, "
                                 "brackets, quotes or backslashes (the storage tool cannot read them)")

    def __repr__(self) -> str:
        return f"BrokerSecurity(users={[n for n, _ in self.users]}, ports={self.ports}, tls_dir={self.tls_dir})"

    @property
    def needs_tls(self) -> bool:
        return any(p.endswith("SSL") for p in self.ports)

    def listeners(self) -> list[str]:
        return [f"{protocol}://127.0.0.1:{port}" for protocol, port in self.ports.items()]

    def scram_arguments(self) -> list[str]:
        """``StorageTool format`` arguments creating every user for both SCRAM mechanisms."""
        args = []
        for name, password in self.users:
            for mechanism in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
                args += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
        return args

    def properties(self) -> list[str]:
        """Broker configuration lines for the secured listeners (the listeners themselves excepted)."""
        lines = []
        if self.needs_tls:
            tls = Path(self.tls_dir)
            lines += ["ssl.keystore.type=PEM", f"ssl.keystore.location={tls / 'broker-keystore.pem'}",
                      "ssl.truststore.type=PEM", f"ssl.truststore.location={tls / 'ca.pem'}"]
        if "SSL" in self.ports:
            lines.append("listener.name.ssl.ssl.client.auth=required")
        for protocol, mechanisms in _MECHANISMS.items():
            if protocol not in self.ports:
                continue
            prefix = f"listener.name.{protocol.lower()}"
            lines.append(f"{prefix}.sasl.enabled.mechanisms={','.join(mechanisms)}")
            for mechanism in mechanisms:
                lines.append(f"{prefix}.{mechanism.lower()}.sasl.jaas.config={_property(self._jaas(mechanism))}")
        return lines

    def _jaas(self, mechanism: str) -> str:
        users = "".join(f" user_{name}={_quoted(password)}" for name, password in self.users) \
            if mechanism == "PLAIN" else ""
        return f"{_LOGIN[mechanism]} required{users};"
