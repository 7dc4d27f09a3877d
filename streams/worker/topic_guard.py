"""Stop the worker when one of its topics is deleted or recreated under it.

A topic deleted while the worker runs takes its records with it, and a broker
with ``auto.create.topics.enable`` (Kafka's default) recreates it at once,
empty, often with another partition count, when a client next asks for it.
Faust then does not fail: it waits, rebalances, or flushes a producer to a
partition that no longer exists, and the worker looks alive while it counts
nothing, or would count a recreated topic's new records under offsets its
state already holds. So ``TopicGuard`` watches, in a thread of its own (a
stuck event loop does not stop it), the id and partition count of every
topic the worker reads or writes, including its changelogs once they exist,
and ends the process with one ``Error:`` line and exit code 1 as soon as one
of them is gone or is no longer the topic it was (another id or partition
count). The process ends like a kill (``streams.worker.app.stop_on_crash``):
nothing after the last checkpoint was acknowledged, so nothing half-written
is counted twice by a restart. While the broker cannot be reached the guard
waits (a broker that is down or restarting is not a deleted topic) and tells
``readiness``, so ``/readyz`` says the broker is unreachable until it answers
again; once it has not answered for ``settings.broker_wait`` seconds (a broker
that halted on a full disk, or that is gone) the worker stops the same way,
saying so.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from streams.kafka.security import client_config
from streams.settings import Settings
from streams.worker.web import TOPICS

__all__ = ["TopicGuard", "GUARD_SECONDS"]

log = logging.getLogger(__name__)

GUARD_SECONDS = 2.0
"""How often the worker's topics are described."""
_UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION


class TopicGuard:
    """Watches ``settings``' topics (and the app's changelogs); ``check`` says what changed."""

    def __init__(self, settings: Settings, every: float = GUARD_SECONDS, readiness=None):
        self.settings, self.every, self.readiness = settings, every, readiness
        self.names = [settings.topic(name) for name in TOPICS] + [
            f"{settings.app_id}-{table}-changelog" for table in ("count-state", "detect-state")]
        self.known: dict[str, tuple[str, int]] = {}
        """Topic name -> (topic id, partitions), as first seen."""
        self._admin: KafkaAdminClient | None = None
        self._lock = threading.Lock()  # one admin client, asked from the guard's thread and from a crash

    def describe(self) -> dict[str, tuple[str, int] | None]:
        """``{name: (topic id, partitions)}``, None for a topic the broker does not have."""
        if self._admin is None:
            self._admin = KafkaAdminClient(bootstrap_servers=self.settings.bootstrap_servers,
                                           client_id=f"{self.settings.app_id}-topic-guard",
                                           request_timeout_ms=10_000, bootstrap_timeout_ms=5_000,
                                           **client_config(self.settings))
        found: dict[str, tuple[str, int] | None] = {}
        for topic in self._admin.describe_topics(self.names):
            name = topic["name"]
            if topic["error_code"] == _UNKNOWN_TOPIC:
                found[name] = None
            elif topic["error_code"] == 0:
                found[name] = (str(topic.get("topic_id")), len(topic["partitions"]))
        return found

    def check(self) -> str | None:
        """What happened to a known topic since it was first seen (None: nothing); learns new topics."""
        with self._lock:
            found = self.describe()
        for name, now in found.items():
            before = self.known.get(name)
            if before is None:
                if now is not None:
                    self.known[name] = now
            elif now is None:
                return f"topic {name} was deleted while the worker ran"
            elif now[0] != before[0]:
                return (f"topic {name} was deleted and created again while the worker ran "
                        f"(now {now[1]} partition{'s' if now[1] != 1 else ''})")
            elif now[1] != before[1]:
                return f"topic {name} went from {before[1]} to {now[1]} partitions while the worker ran"
        return None

    def stop_if_changed(self) -> None:
        """Look once more (an agent crashed): if a topic changed, end the process saying so."""
        try:
            change = self.check()
        except (KafkaError, OSError) as exc:
            log.debug("cannot describe the worker's topics: %r", exc)
            return
        if change is not None:
            stop_with_error(change, self.settings)

    def start(self) -> threading.Thread:
        """Check every ``every`` seconds in a daemon thread; on a change, end the process."""
        thread = threading.Thread(target=self._watch, name="topic-guard", daemon=True)
        thread.start()
        return thread

    def _watch(self) -> None:
        since = None  # since when the broker does not answer
        while True:
            try:
                change = self.check()
                reachable = True
            except (KafkaError, OSError) as exc:  # broker down or restarting: the consumers wait, so do we
                log.debug("cannot describe the worker's topics: %r", exc)
                with self._lock:
                    self._close()
                change, reachable = None, False
            if self.readiness is not None:
                self.readiness.broker(reachable)
            since = None if reachable else since or time.monotonic()
            wait = self.settings.broker_wait
            if since is not None and wait and time.monotonic() - since >= wait:
                stop_with_error(f"the broker at {self.settings.broker} has not answered for {wait:g} s "
                                     "(down, or halted: a broker stops when its log directory fails, e.g. on a "
                                     "full disk)", self.settings, lost=False)
            if change is not None:
                stop_with_error(change, self.settings)
            time.sleep(self.every)

    def _close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            except (KafkaError, OSError):
                pass
            self._admin = None


def stop_with_error(change: str, settings: Settings, lost: bool = True) -> None:
    """One ``Error:`` line on stderr and exit code 1, at once (like a kill: see the module docstring).

    ``lost``: a topic's records are gone (else the broker is: restart the worker once it is back).
    """
    log.critical("%s; stopping", change)
    logging.shutdown()
    if lost:
        line = (f"Error: {change}; its records are gone, so the worker stopped (nothing after its last "
                f"checkpoint was committed). To count the input again, delete this run's topics and the "
                f"changelogs {settings.app_id}-*-changelog (or use a new --prefix and --app-id), start the "
                "worker and send the input again\n")
    else:
        line = (f"Error: {change}; the worker stopped (nothing after its last checkpoint was committed). "
                "Bring the broker back (free its disk if it is full), then start the worker again: it resumes "
                "from its last checkpoint (--broker-wait sets how long it waits, 0 for ever)\n")
    os.write(2, line.encode("utf-8", "replace"))  # fd 2 itself: Faust redirects sys.stderr into logging
    os._exit(1)
