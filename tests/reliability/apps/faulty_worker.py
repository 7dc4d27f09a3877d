"""``trendwatch`` with a defect injected into one stage, for the agent-crash tests.

``TRENDWATCH_TEST_FAULT=extract``: ``Extract.process`` and ``Extract.process_packed`` raise on
a record that holds ``#boom``; ``count``: ``Count.process`` and ``Count.process_batch`` raise on a mention of ``boom``
(``Mention`` records or packed mentions).
Everything else is the real command line (``python faulty_worker.py worker ...``).
"""

import os
import sys

from streams.cli import main
from streams.stages import Count, Extract

FAULT = os.environ["TRENDWATCH_TEST_FAULT"]


def _extract(process):
    def faulty(self, values, source=None):
        if any(b"#boom" in value for value in values):
            raise RuntimeError("injected extract fault")
        return process(self, values, source)
    return faulty


BOOM_PACKED = len(b"boom").to_bytes(2, "little") + b"boom"
"""How a mention of ``boom`` starts in packed mentions (a ``u16`` tag length, then the tag)."""


def _count(process):
    def faulty(self, mentions, **kwargs):
        boom = BOOM_PACKED in mentions if isinstance(mentions, bytes) else any(m.hashtag == "boom" for m in mentions)
        if boom:
            raise RuntimeError("injected count fault")
        return process(self, mentions, **kwargs)
    return faulty


if FAULT == "extract":
    Extract.process = _extract(Extract.process)
    Extract.process_packed = _extract(Extract.process_packed)
elif FAULT == "count":
    Count.process = _count(Count.process)
    Count.process_batch = _count(Count.process_batch)
else:
    raise SystemExit(f"unknown TRENDWATCH_TEST_FAULT {FAULT!r}")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
