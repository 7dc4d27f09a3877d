"""`trendwatch kafka start/status/stop` and `topics create/delete` by hand, as a user runs them."""

from __future__ import annotations

import subprocess
import sys

from streams.kafka.broker import ensure_jars, free_port


def _tw(*args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streams", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_start_topics_status_stop(tmp_path, kafka_broker):
    marker = ensure_jars() / ".complete"  # the session broker fetched the jars already
    cached_at = marker.stat().st_mtime
    port, data = free_port(), str(tmp_path / "kafka")
    started = _tw("kafka", "start", "--port", str(port), "--data-dir", data)
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.strip().splitlines()[-1] == f"kafka://127.0.0.1:{port}"
        assert marker.stat().st_mtime == cached_at, "a second start must reuse the cached jars"

        again = _tw("kafka", "start", "--port", str(port + 1), "--data-dir", data)
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stdout
        assert again.stdout.strip().splitlines()[-1] == f"kafka://127.0.0.1:{port}"  # where it really is

        status = _tw("kafka", "status", "--data-dir", data)
        assert status.returncode == 0 and f"127.0.0.1:{port}" in status.stdout

        created = _tw("topics", "create", "--broker", f"kafka://127.0.0.1:{port}", "--partitions", "2")
        assert created.returncode == 0, created.stderr
        assert sorted(line.split()[1] for line in created.stdout.splitlines()) == sorted(
            ["posts", "hashtag-mentions", "hashtag-windows", "trend-alerts", "posts-dlq"])
        broker = f"kafka://127.0.0.1:{port}"
        assert _tw("topics", "create", "--broker", broker, "--prefix", "mine-").returncode == 0
        empty = _tw("topics", "delete", "--broker", broker, "--prefix", " ")
        assert empty.returncode == 2 and empty.stderr.strip() == (
            "Error: --prefix must not be empty: it would name every topic")
        deleted = _tw("topics", "delete", "--broker", broker, "--prefix", "mine-")
        assert deleted.returncode == 0, deleted.stderr
        assert sorted(line.split()[1] for line in deleted.stdout.splitlines()[:-1]) == sorted(
            f"mine-{name}" for name in ("posts", "hashtag-mentions", "hashtag-windows", "trend-alerts", "posts-dlq"))
        assert deleted.stdout.splitlines()[-1] == "5 topics deleted (prefix 'mine-')."
        assert _tw("topics", "delete", "--broker", broker, "--prefix", "mine-").stdout.strip() == (
            "0 topics deleted (prefix 'mine-').")
        recreated = _tw("topics", "create", "--broker", broker).stdout  # the unprefixed ones were kept
        assert recreated.split().count("exists") == 5, recreated
    finally:
        stopped = _tw("kafka", "stop", "--data-dir", data)
    assert stopped.returncode == 0 and stopped.stdout.strip() == "stopped"
    assert _tw("kafka", "status", "--data-dir", data).returncode == 1
