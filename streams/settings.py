"""One frozen settings object, built once at the edge (CLI or worker start).

Values come from flags first, then ``TRENDWATCH_*`` environment variables, then
defaults. Nothing else in the project reads ``os.environ``.

>>> s = Settings.build({}, env={"TRENDWATCH_BROKER": "kafka://h:1"})
>>> s.broker, s.bootstrap_servers
('kafka://h:1', 'h:1')
>>> Settings.build({"window_sizes": "5m,1m"}).window_sizes
('1m', '5m')
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Mapping

from streams.errors import UsageError

__all__ = ["Settings", "parse_duration_ms", "format_duration", "SECURITY_PROTOCOLS", "SASL_MECHANISMS"]

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_SECRETS = {"sasl_password": "sasl_password_file", "ssl_key_password": "ssl_key_password_file"}
"""Secret fields, and the field naming a file the secret may be read from instead."""
_SSL_FILES = ("ssl_cafile", "ssl_certfile", "ssl_keyfile")

_UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)$")


def parse_duration_ms(text: str, name: str = "duration") -> int:
    """``"5m"`` -> 300000. Raises UsageError naming ``name`` on bad input.

    >>> parse_duration_ms("90s")
    90000
    """
    match = _DURATION.match(str(text).strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"{name}: {text!r} is not a duration; use e.g. 90s, 5m, 1h, 1d")
    return int(match.group(1)) * _UNITS_MS[match.group(2)]


def format_duration(ms: int) -> str:
    """300000 -> ``"5m"``: the largest unit that divides ``ms`` exactly.

    >>> format_duration(86_400_000), format_duration(1500)
    ('1d', '1500ms')
    """
    for unit in ("d", "h", "m", "s"):
        if ms % _UNITS_MS[unit] == 0:
            return f"{ms // _UNITS_MS[unit]}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True)
class Settings:
    """Everything a trendwatch process is configured with."""

    broker: str = "kafka://localhost:9092"
    app_id: str = "trendwatch"
    topic_prefix: str = ""
    partitions: int = 4
    window_sizes: tuple[str, ...] = ("1m", "5m", "1h", "1d")
    allowed_lateness: str = "1m"
    late_policy: str = "apply"  # "apply" | "drop"
    idle_flush: float = 10.0  # seconds without input before open windows are flushed
    broker_wait: float = 300.0  # seconds a worker waits for a broker that does not answer (0: for ever)
    store: str = "memory"  # "memory" | "rocksdb"
    group_instance_id: str = ""  # static consumer-group membership (one id per worker, kept across restarts)
    web_port: int = 6066
    metrics_port: int = 9464
    top_k: int = 50
    max_tags: int = 20_000  # hashtags the count stage tracks exactly per mentions partition (the rest: sketches)
    data_dir: str = "~/.local/share/trendwatch"
    log_level: str = "INFO"
    bind: str = "127.0.0.1"  # address of every HTTP endpoint (metrics, Faust's web server)
    security_protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str = "PLAIN"  # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    sasl_username: str = ""
    sasl_password: str = dataclasses.field(default="", repr=False)
    sasl_password_file: str = ""
    ssl_cafile: str = ""  # CA bundle that signed the brokers' certificates (default: the system's)
    ssl_certfile: str = ""  # client certificate (mutual TLS)
    ssl_keyfile: str = ""  # its private key
    ssl_key_password: str = dataclasses.field(default="", repr=False)
    ssl_key_password_file: str = ""
    ssl_check_hostname: bool = True

    ENV_PREFIX = "TRENDWATCH_"

    def __post_init__(self):
        if not re.match(r"^(kafka://)?[^/\s:]+:\d+(,[^/\s:]+:\d+)*$", self.broker.replace("kafka://", "", 1)):
            raise UsageError(f"--broker: {self.broker!r} is not host:port (e.g. kafka://localhost:9092)")
        if self.partitions < 1:
            raise UsageError("--partitions must be at least 1")
        if self.top_k < 1:
            raise UsageError(f"--top-k must be at least 1, not {self.top_k}")
        if self.max_tags < 1:
            raise UsageError(f"--max-tags must be at least 1, not {self.max_tags}")
        if self.idle_flush <= 0:
            raise UsageError(f"--idle-flush must be a positive number of seconds, not {self.idle_flush}")
        if self.broker_wait < 0:
            raise UsageError(f"--broker-wait must be 0 (wait for ever) or a positive number of seconds, "
                             f"not {self.broker_wait}")
        if self.late_policy not in ("apply", "drop"):
            raise UsageError(f"--late-policy must be 'apply' or 'drop', not {self.late_policy!r}")
        if self.store not in ("memory", "rocksdb"):
            raise UsageError(f"--store must be 'memory' or 'rocksdb', not {self.store!r}")
        for size in self.window_sizes:
            parse_duration_ms(size, "--windows")
        parse_duration_ms(self.allowed_lateness, "--allowed-lateness")
        if self.group_instance_id and not re.match(r"^[A-Za-z0-9._-]{1,249}$", self.group_instance_id):
            raise UsageError(f"--group-instance-id: {self.group_instance_id!r} is not an id; use letters, digits, "
                             "'.', '_' and '-' (e.g. the host or pod name)")
        if not self.bind or any(c.isspace() or c == "/" for c in self.bind):
            raise UsageError(f"--bind: {self.bind!r} is not an address; use e.g. 127.0.0.1 or 0.0.0.0")
        self._check_security()

    def _check_security(self) -> None:
        protocol, mechanism = self.security_protocol, self.sasl_mechanism
        if protocol not in SECURITY_PROTOCOLS:
            raise UsageError(f"--security-protocol must be one of {', '.join(SECURITY_PROTOCOLS)}, not {protocol!r}")
        if mechanism not in SASL_MECHANISMS:
            raise UsageError(f"--sasl-mechanism must be one of {', '.join(SASL_MECHANISMS)}, not {mechanism!r}")
        if self.uses_sasl and not (self.sasl_username and self.sasl_password):
            raise UsageError(f"--security-protocol {protocol} needs --sasl-username and a password "
                             "(TRENDWATCH_SASL_PASSWORD or --sasl-password-file)")
        if not self.uses_sasl and (self.sasl_username or self.sasl_password):
            raise UsageError(f"a SASL user or password is set but --security-protocol is {protocol}; "
                             "use SASL_SSL or SASL_PLAINTEXT")
        given = [name for name in (*_SSL_FILES, "ssl_key_password") if getattr(self, name)]
        if given and not self.uses_ssl:
            raise UsageError(f"--{given[0].replace('_', '-')} is set but --security-protocol is {protocol}; "
                             "use SSL or SASL_SSL")
        if self.ssl_keyfile and not self.ssl_certfile:
            raise UsageError("--ssl-keyfile needs --ssl-certfile (the client certificate it belongs to)")
        for name in _SSL_FILES:
            path = getattr(self, name)
            if path and not os.access(os.path.expanduser(path), os.R_OK):
                raise UsageError(f"--{name.replace('_', '-')}: cannot read {path}")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_ssl(self) -> bool:
        return self.security_protocol.endswith("SSL")

    @property
    def bootstrap_servers(self) -> str:
        """The broker list as Kafka clients want it: ``host:port[,host:port]``."""
        return self.broker.replace("kafka://", "", 1)

    @property
    def window_ms(self) -> tuple[int, ...]:
        return tuple(parse_duration_ms(s) for s in self.window_sizes)

    @property
    def lateness_ms(self) -> int:
        return parse_duration_ms(self.allowed_lateness)

    def topic(self, name: str) -> str:
        """The full name of one of the project's topics (``posts``, ``posts-dlq`` ...)."""
        return f"{self.topic_prefix}{name}"

    @classmethod
    def build(cls, flags: Mapping[str, object], env: Mapping[str, str] | None = None) -> Settings:
        """Flags (None = not given) over environment over defaults."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = flags.get(field.name)
            if raw is None:
                raw = env.get(cls.ENV_PREFIX + field.name.upper())
            if raw is None:
                continue
            values[field.name] = _coerce(field.name, field.type, raw)
        for secret, path_field in _SECRETS.items():
            if values.get(path_field):
                if values.get(secret):
                    raise UsageError(f"give the {secret.replace('_', ' ')} either directly or in "
                                     f"--{path_field.replace('_', '-')}, not both")
                values[secret] = _read_secret(str(values[path_field]), path_field)
        for name in ("security_protocol", "sasl_mechanism"):
            if isinstance(values.get(name), str):
                values[name] = values[name].upper()
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """``TRENDWATCH_*`` variables from which ``build`` makes these settings again (child processes).

        >>> Settings.build({}, env=Settings(partitions=2, window_sizes=("1m", "1h")).to_env()).window_sizes
        ('1m', '1h')
        """
        skip = {secret for secret, path_field in _SECRETS.items() if getattr(self, path_field)}
        return {self.ENV_PREFIX + f.name.upper(): _text(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name not in skip}

    def describe(self) -> str:
        """key=value pairs for the start-up log line; secrets show as ``'***'`` (or ``''`` when unset).

        >>> "hunter2" in Settings(security_protocol="SASL_SSL", sasl_username="u", sasl_password="hunter2").describe()
        False
        """
        return " ".join(f"{f.name}={self._shown(f.name)!r}" for f in dataclasses.fields(self))

    def _shown(self, name: str) -> object:
        value = getattr(self, name)
        return ("***" if value else "") if name in _SECRETS else value


def _read_secret(path: str, name: str) -> str:
    """The secret in a file: its content without the trailing newline."""
    flag = f"--{name.replace('_', '-')}"
    try:
        text = open(os.path.expanduser(path), encoding="utf-8").read()
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{flag}: {path} is not UTF-8 text") from None
    text = text[:-1] if text.endswith("\n") else text
    text = text[:-1] if text.endswith("\r") else text
    if not text:
        raise UsageError(f"{flag}: {path} is empty")
    return text


def _text(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _coerce(name: str, kind: str, raw: object) -> object:
    if isinstance(raw, str):
        text = raw if name in _SECRETS else raw.strip()
        if kind in ("int", "float"):
            try:
                return int(text) if kind == "int" else float(text)
            except ValueError:
                raise UsageError(f"{name}: {raw!r} is not a number") from None
        if kind == "bool":
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise UsageError(f"{name}: {raw!r} is not true or false")
        if kind.startswith("tuple"):
            items = [p.strip() for p in text.split(",") if p.strip()]
            if name == "window_sizes":
                items = sorted(set(items), key=lambda s: parse_duration_ms(s, "--windows"))
            return tuple(items)
        return text
    if kind.startswith("tuple"):
        return tuple(raw)
    return raw
