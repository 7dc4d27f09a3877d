"""Reference implementations in plain Python, kept as oracles for the native core.

``hashtags`` holds the hashtag rules as they were written in Python;
``sketches`` the HyperLogLog, exact-then-sketched distinct counts and Count-Min
of the window aggregator. Property tests drive random input through them and
through ``detectors._native`` and require the same output.
"""

__all__ = ["hashtags", "sketches"]
