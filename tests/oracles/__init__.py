"""Reference implementations in plain Python, kept as oracles for the native core.

``hashtags`` holds the hashtag rules as they were written in Python; property
tests drive random input through it and through ``detectors._native`` and
require the same output.
"""

__all__ = ["hashtags"]
