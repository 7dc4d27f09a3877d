"""Reference implementations in plain Python, kept as oracles for the native core.

``hashtags`` holds the hashtag rules as they were written in Python;
``events`` the event decoder and validator (``events.decode_record`` with the
stage's orjson-then-``json`` decoding), ``eventtime`` the event-time clock and
``extract`` the extract stage with its pre-aggregation, JSON Lines and clocks;
``sketches`` the HyperLogLog, exact-then-sketched distinct counts and Count-Min
of the window aggregator; ``longtail`` the detector's decaying Count-Min
sketch, ``scorer`` the surge scorer's per-window arithmetic and per-tag
state, and ``model`` the trend model's moments as they were kept in Python
(every window through the scorer's ``update``). Property tests drive random input through them and
through ``detectors._native`` and require the same output.
"""

__all__ = ["events", "eventtime", "extract", "hashtags", "longtail", "model", "scorer", "sketches"]
