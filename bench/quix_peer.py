"""The peer of the throughput benchmark: per-hashtag tumbling-window counts in Quix Streams.

Reads the same ``posts`` records (JSON arrays or single events), explodes them
into (hashtag, event time) mentions, repartitions by hashtag and counts posts
per tumbling window on event time, at each of the window sizes given (one
branch of the dataframe per size), like trendwatch's extract + count. Runs
until every mention has gone through the windows or ``seconds`` passed, then
prints ``{"posts_eps", "mentions", "seconds", "finished", "sizes_ms"}``.

Usage: ``python bench/quix_peer.py BOOTSTRAP TOPIC POSTS SECONDS [SIZES_MS]``
(``SIZES_MS``: comma-separated window sizes in ms, default ``60000``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
import uuid


def main(bootstrap: str, topic_name: str, posts: int, seconds: float, sizes_ms: tuple[int, ...] = (60_000,)) -> dict:
    from quixstreams import Application

    state = {"first": None, "last": None, "mentions": 0, "tags_per_post": None}
    expected = {"mentions": None}

    def explode(value: bytes):
        if state["first"] is None:
            state["first"] = time.perf_counter()
        data = json.loads(value)
        return data if type(data) is list else [data]

    def mentions(post: dict):
        if state["tags_per_post"] is None:
            state["tags_per_post"] = len(post["hashtags"])
            expected["mentions"] = posts * state["tags_per_post"]
        return [{"tag": tag, "ts": post["ts"]} for tag in post["hashtags"]]

    def counted(value):
        state["mentions"] += 1
        state["last"] = time.perf_counter()
        if state["mentions"] == expected["mentions"]:
            app.stop()

    with tempfile.TemporaryDirectory(prefix="quix-") as tmp:
        app = Application(broker_address=bootstrap, consumer_group=f"quix-{uuid.uuid4().hex[:8]}",
                          auto_offset_reset="earliest", state_dir=tmp, loglevel="WARNING")
        topic = app.topic(topic_name, value_deserializer="bytes", key_deserializer="bytes")
        sdf = app.dataframe(topic)
        sdf = sdf.apply(explode, expand=True)
        sdf = sdf.apply(mentions, expand=True)
        sdf = sdf.set_timestamp(lambda value, key, timestamp, headers: value["ts"])
        sdf = sdf.group_by(lambda value: value["tag"], name="tag")
        for size in sizes_ms:  # branches: every mention goes through each window size
            sdf.tumbling_window(size).count().final()
        sdf = sdf.update(counted)  # after the branches, so the last mention is counted once all are done
        timer = threading.Timer(seconds, app.stop)
        timer.start()
        try:
            app.run()
        finally:
            timer.cancel()
    elapsed = (state["last"] or time.perf_counter()) - (state["first"] or time.perf_counter())
    tags = state["tags_per_post"] or 1
    return {"posts_eps": state["mentions"] / tags / elapsed if elapsed > 0 else 0.0,
            "mentions": state["mentions"], "seconds": elapsed,
            "finished": state["mentions"] == expected["mentions"], "sizes_ms": list(sizes_ms)}


if __name__ == "__main__":
    sizes = tuple(int(x) for x in sys.argv[5].split(",")) if len(sys.argv) > 5 else (60_000,)
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sizes)))
