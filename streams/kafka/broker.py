"""A real single-node Apache Kafka broker (KRaft) on this machine, without Docker.

The broker jars come from Maven Central through Maven (``streams/kafka/pom.xml``)
and are cached under ``~/.cache/trendwatch/kafka-<version>``, so only the first
start downloads anything. The broker binds to 127.0.0.1 only.

``LocalBroker(data_dir, port).start()`` formats storage, starts the broker and
waits until it is ready; ``stop()`` ends it. The state of a running broker
(pid, ports) is kept in ``data_dir/broker.json`` so that ``trendwatch kafka
status`` and ``stop`` find it from another process. With
``security=BrokerSecurity(...)`` it also opens SASL_SSL, SSL (mutual TLS) and
SASL_PLAINTEXT listeners with SCRAM/PLAIN users and certificates it makes in
``data_dir/tls`` (``streams.kafka.broker_security``, ``streams.kafka.certs``).
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from streams.errors import BrokerUnavailable, ToolMissing, UsageError
from streams.kafka.broker_security import BrokerSecurity

if TYPE_CHECKING:
    from streams.kafka.certs import TlsFiles

__all__ = ["KAFKA_VERSION", "LocalBroker", "ensure_jars", "classpath", "free_port", "java_command"]

log = logging.getLogger(__name__)

KAFKA_VERSION = "4.2.1"
_READY_LINE = "Kafka Server started"


def _cache_root() -> Path:
    return Path(os.path.expanduser("~/.cache/trendwatch"))


def _resource(name: str) -> Path:
    return Path(str(resources.files("streams") / "kafka" / name))


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise ToolMissing(f"{tool} is not installed; {hint}")
    return path


def ensure_jars(version: str = KAFKA_VERSION) -> Path:
    """Return the folder holding the broker's jars, fetching them once with Maven."""
    libs = _cache_root() / f"kafka-{version}" / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    mvn = _require("mvn", "install Maven (Debian: apt-get install maven) to fetch the Kafka jars")
    libs.mkdir(parents=True, exist_ok=True)
    log.info("fetching Apache Kafka %s jars from Maven Central into %s", version, libs)
    cmd = [mvn, "-q", "-B", "-f", str(_resource("pom.xml")), f"-Dkafka.version={version}",
           "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={libs}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        raise BrokerUnavailable("could not fetch the Kafka jars with Maven (is Maven Central reachable?): "
                                + " | ".join(tail))
    marker.write_text(version)
    return libs


def classpath(version: str = KAFKA_VERSION) -> str:
    """The Java classpath of the broker and Kafka's own tools."""
    return str(ensure_jars(version) / "*")


def java_command(main_class: str, *args: str, heap: str = "512m", tools: bool = True) -> list[str]:
    """A java command line running one of Kafka's classes (e.g. ProducerPerformance)."""
    java = _require("java", "install a Java 17+ runtime (Debian: apt-get install default-jre-headless)")
    cmd = [java, f"-Xmx{heap}", "-cp", classpath()]
    if tools:
        cmd.append(f"-Dlog4j2.configurationFile={_resource('tools-log4j2.properties')}")
    return [*cmd, main_class, *args]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask the kernel to SIGTERM this process when its parent dies (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class LocalBroker:
    """One KRaft broker+controller process with its data in ``data_dir``.

    ``attached=True`` ties the broker's life to this Python process (tests):
    it gets SIGTERM when the thread that started it ends, so start it from a
    thread that lives as long as it should. The CLI starts it detached so it
    outlives ``trendwatch kafka start``.
    """

    data_dir: Path
    port: int = 9092
    controller_port: int | None = None
    heap: str = "512m"
    attached: bool = False
    security: BrokerSecurity | None = None

    def __post_init__(self):
        self.data_dir = Path(self.data_dir).expanduser()
        self._proc: subprocess.Popen | None = None
        if self.security is not None and self.security.tls_dir is None:
            self.security = dataclasses.replace(self.security, tls_dir=self.data_dir / "tls")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "broker.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "logs" / "server.log"

    @property
    def tls_files(self) -> TlsFiles | None:
        """The CA and client certificate clients use (None without TLS listeners)."""
        if self.security is None or not self.security.needs_tls:
            return None
        from streams.kafka.certs import TlsFiles

        return TlsFiles(self.security.tls_dir)

    def _properties(self) -> str:
        ctrl = self.controller_port
        secured = self.security.listeners() if self.security else []
        listeners = ",".join([f"PLAINTEXT://127.0.0.1:{self.port}", *secured])
        protocols = "".join(f",{p}:{p}" for p in (self.security.ports if self.security else ()))
        return "\n".join([
            "process.roles=broker,controller", "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{ctrl}",
            f"listeners={listeners},CONTROLLER://127.0.0.1:{ctrl}",
            f"advertised.listeners={listeners}",
            "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
            f"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT{protocols}",
            *(self.security.properties() if self.security else []),
            f"log.dirs={self.data_dir / 'data'}",
            "num.partitions=1", "default.replication.factor=1",
            "offsets.topic.replication.factor=1", "offsets.topic.num.partitions=4",
            "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0", "log.cleaner.dedupe.buffer.size=16777216",
            "auto.create.topics.enable=true", "message.max.bytes=4194304", "",
        ])

    def _prepare(self) -> Path:
        if self.controller_port is None:
            self.controller_port = free_port()
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if self.tls_files is not None:
            from streams.kafka.certs import make_tls_files

            make_tls_files(self.tls_files.directory)
        props = self.data_dir / "server.properties"
        _write_private(props, self._properties())  # holds PLAIN users' passwords
        if not (self.data_dir / "data" / "meta.properties").exists():
            self._format(props)
        return props

    def _format(self, props: Path) -> None:
        """Format the storage, creating the SCRAM users (arguments in a private @file, not on a command line)."""
        users = self.security.scram_arguments() if self.security else []
        args = ["kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props), "--ignore-formatted",
                *users]
        argfile = self.data_dir / "format.args"
        _write_private(argfile, "".join(_java_arg(a) + "\n" for a in args))
        cmd = java_command("kafka.tools.StorageTool", heap="256m")
        cmd[-1] = f"@{argfile}"
        try:
            done = subprocess.run(cmd, capture_output=True, text=True)
        finally:
            argfile.unlink(missing_ok=True)
        if done.returncode != 0:
            raise BrokerUnavailable(f"formatting Kafka storage in {self.data_dir} failed: "
                                    f"{done.stderr.strip()[-300:]}")

    def start(self, timeout: float = 90.0) -> LocalBroker:
        """Start the broker and wait until it serves clients."""
        if self.running():
            raise UsageError(f"a broker is already running from {self.data_dir} "
                             f"(stop it with: trendwatch kafka stop --data-dir {self.data_dir})")
        if port_open(self.port):
            raise UsageError(f"port {self.port} is already in use; choose another with --port")
        props = self._prepare()
        cmd = java_command("kafka.Kafka", str(props), heap=self.heap, tools=False)
        cmd[2:2] = ["-XX:+UseSerialGC", f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
                    f"-Dlog4j2.configurationFile={_resource('log4j2.properties')}"]
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        out = open(self.data_dir / "logs" / "stdout.log", "ab")
        self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=not self.attached,
                                      preexec_fn=_die_with_parent if self.attached else None)
        out.close()
        self.state_file.write_text(json.dumps({"pid": self._proc.pid, "port": self.port,
                                               "controller_port": self.controller_port,
                                               "listeners": self.listeners()}))
        self._wait_ready(offset, timeout)
        return self

    def listeners(self) -> dict[str, str]:
        """``{protocol: host:port}`` of every client listener."""
        secured = self.security.ports if self.security else {}
        return {"PLAINTEXT": self.bootstrap, **{p: f"127.0.0.1:{port}" for p, port in secured.items()}}

    def _wait_ready(self, offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerUnavailable(f"the Kafka broker exited with code {self._proc.returncode}; "
                                        f"see {self.log_file}")
            if self.log_file.exists():
                with open(self.log_file, "rb") as fh:
                    fh.seek(offset)
                    if _READY_LINE.encode() in fh.read() and port_open(self.port):
                        return
            time.sleep(0.2)
        self.stop()
        raise BrokerUnavailable(f"the Kafka broker did not start within {timeout:.0f}s; see {self.log_file}")

    def _pid(self) -> int | None:
        if self._proc is not None:
            return self._proc.pid if self._proc.poll() is None else None
        try:
            pid = int(json.loads(self.state_file.read_text())["pid"])
        except (OSError, ValueError, KeyError):
            return None
        return pid if _alive(pid) else None

    def running(self) -> bool:
        return self._pid() is not None

    def status(self) -> dict:
        """What ``trendwatch kafka status`` reports."""
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {"running": False, "data_dir": str(self.data_dir)}
        pid = self._pid()
        port = state.get("port", self.port)
        return {"running": pid is not None and port_open(port), "pid": pid,
                "bootstrap": f"kafka://127.0.0.1:{port}", "data_dir": str(self.data_dir),
                "listeners": state.get("listeners", {})}

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``). False if none ran."""
        pid = self._pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if self._proc is not None:
            # Our child: wait for its exit itself. A JVM whose main thread has ended shows as a
            # zombie in /proc while its other threads still shut down, so _alive is not enough.
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self.state_file.unlink(missing_ok=True)
            return True
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            if self._proc is not None:
                self._proc.wait()
        self.state_file.unlink(missing_ok=True)
        return True


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _java_arg(arg: str) -> str:
    """One argument of a java @file: quoted, backslashes and quotes escaped."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def _cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding.

    Like Kafka's own ``Uuid.randomUuid``, never one starting with "-", which
    the storage tool's argument parser would take for an option.
    """
    import base64

    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text
