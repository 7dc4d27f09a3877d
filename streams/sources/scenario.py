"""The simulator's scenario files: YAML under ``scenarios/``, format in ``docs/scenarios.md``.

``load_scenario("rednote-2025")`` reads a shipped scenario by name, or any
path to a YAML file; ``Scenario.scaled(f)`` multiplies every volume (posts,
views, rates, author pools) by ``f``. Invalid files raise ``InputError``
naming the file and the offending key.

>>> s = load_scenario("steady-week")
>>> s.name, s.duration_ms // 86_400_000, s.surges
('steady-week', 7, ())
>>> s.scaled(0.5).background.posts_per_second == s.background.posts_per_second * 0.5
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from detectors.events import InvalidEvent, parse_timestamp
from detectors.hashtags import normalise_hashtag
from streams.errors import InputError, UsageError
from streams.settings import parse_duration_ms

__all__ = ["SHAPES", "DECOY_KINDS", "Background", "Surge", "Decoy", "Scenario",
           "load_scenario", "scenario_names", "SCENARIO_DIR"]

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
SHAPES = ("flash", "step", "ramp", "logistic")
DECOY_KINDS = ("steady", "periodic", "bot")


@dataclass(frozen=True)
class Background:
    """Everyday activity: many tags with Zipf-distributed popularity and a daily cycle."""

    tags: int = 2000
    zipf: float = 1.1
    posts_per_second: float = 1.0
    tags_per_post: float = 1.5
    daily_cycle: float = 0.5
    peak_hour: float = 13.0
    authors: int = 50_000
    new_author_share: float = 0.01
    languages: dict = field(default_factory=lambda: {"en": 1.0})
    regions: dict = field(default_factory=lambda: {"US": 1.0})
    views_per_post: float = 200.0
    reports: int = 1
    dispersion: float = 0.0  # negative-binomial size of each tag's 5-minute counts; 0: none beyond sampling
    weekly_cycle: float = 0.0  # weekend rate is (1 - weekly_cycle) times the weekdays' average
    news_bursts_per_day: float = 0.0  # unlabelled bursts of everyday tags
    news_lift: float = 2.0  # an everyday tag's rate during its burst, times its usual rate
    news_hours: float = 6.0  # mean length of a burst (uniform from half to one and a half times this)
    news_tags: int = 50  # bursts hit one of the this many most popular tags


@dataclass(frozen=True)
class Surge:
    """A tag that takes off at ``start`` and follows ``shape`` for ``duration`` ms.

    ``views`` is the exact total of the engagement views of the surge's posts,
    all reported before ``start + duration``.
    """

    tag: str
    start: int
    duration: int
    shape: str
    posts: int
    views: int
    co_tags: tuple = ()
    co_tag_share: float = 0.5
    new_author_share: float = 0.0
    authors: int = 20_000
    languages: dict | None = None
    regions: dict | None = None
    reports: int = 2

    @property
    def end(self) -> int:
        return self.start + self.duration


@dataclass(frozen=True)
class Decoy:
    """Activity that looks like a trend but is not one: steady, daily-periodic or bots."""

    kind: str
    tag: str
    start: int | None = None
    duration: int | None = None
    posts_per_second: float = 0.0  # steady
    posts_per_day: float = 0.0  # periodic
    peak_hour: float = 7.0  # periodic
    width_hours: float = 1.0  # periodic
    posts: int = 0  # bot
    accounts: int = 5  # bot
    views_per_post: float = 100.0
    languages: dict | None = None
    regions: dict | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    start: int
    end: int
    background: Background
    surges: tuple = ()
    decoys: tuple = ()
    description: str = ""
    scale: float = 1.0

    @property
    def duration_ms(self) -> int:
        return self.end - self.start

    def scaled(self, factor: float) -> Scenario:
        """The same scenario with every volume multiplied by ``factor``."""
        if not (factor > 0 and math.isfinite(factor)):
            raise UsageError(f"--scale must be a positive number, not {factor!r}")
        bg = self.background
        background = dataclasses.replace(bg, posts_per_second=bg.posts_per_second * factor,
                                         authors=max(1, round(bg.authors * factor)))
        surges = tuple(dataclasses.replace(s, posts=round(s.posts * factor), views=round(s.views * factor),
                                           authors=max(1, round(s.authors * factor))) for s in self.surges)
        decoys = tuple(dataclasses.replace(d, posts_per_second=d.posts_per_second * factor,
                                           posts_per_day=d.posts_per_day * factor,
                                           posts=round(d.posts * factor)) for d in self.decoys)
        return dataclasses.replace(self, background=background, surges=surges, decoys=decoys,
                                   scale=self.scale * factor)


def scenario_names() -> list[str]:
    """Names of the scenarios shipped in ``scenarios/``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Read a scenario by shipped name (``rednote-2025``) or by YAML path, at its own scale."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        path = SCENARIO_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise UsageError(f"no scenario {str(name_or_path)!r}; shipped: {', '.join(scenario_names())}, "
                             "or give a path to a YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read scenario {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"scenario {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    try:
        scenario = _build(data, path.stem)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"scenario {path}: {exc.args[0] if exc.args else exc}") from None
    factor, scenario = scenario.scale, dataclasses.replace(scenario, scale=1.0)
    return scenario if factor == 1.0 else scenario.scaled(factor)


def _build(data: object, stem: str) -> Scenario:
    if not isinstance(data, dict):
        raise ValueError("the file must hold a mapping at the top level")
    _only(data, "", {"name", "description", "start", "end", "duration", "scale", "background",
                     "surges", "decoys"})
    start = _time(data, "start", "")
    end = _time(data, "end", "") if "end" in data else start + _duration(data, "duration", "")
    if end <= start:
        raise ValueError("end must be after start")
    scenario = Scenario(
        name=str(data.get("name", stem)), start=start, end=end,
        background=_section(Background, data.get("background") or {}, "background."),
        surges=tuple(_surge(s, f"surges[{i}].") for i, s in enumerate(data.get("surges") or ())),
        decoys=tuple(_decoy(d, f"decoys[{i}].") for i, d in enumerate(data.get("decoys") or ())),
        description=str(data.get("description", "")).strip(), scale=1.0)
    _check_windows(scenario)
    factor = _number(data, "scale", "", 1.0)
    if factor <= 0:
        raise ValueError("scale must be positive")
    return dataclasses.replace(scenario, scale=factor)


def _check_windows(scenario: Scenario) -> None:
    if scenario.background.tags < 1:
        raise ValueError("background.tags must be at least 1")
    timed = [(f"surges[{i}]", s.start, s.end) for i, s in enumerate(scenario.surges)]
    timed += [(f"decoys[{i}]", d.start, d.start + d.duration) for i, d in enumerate(scenario.decoys)
              if d.kind == "bot"]
    for where, start, end in timed:
        if start < scenario.start or end > scenario.end:
            raise ValueError(f"{where} runs from {_iso(start)} to {_iso(end)}, outside the scenario "
                             f"({_iso(scenario.start)} to {_iso(scenario.end)})")
    for i, surge in enumerate(scenario.surges):
        if surge.posts < 1:
            raise ValueError(f"surges[{i}].posts is required (a positive number of posts)")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _only(data: dict, where: str, allowed: set) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValueError(f"unknown key {where}{unknown[0]} (allowed: {', '.join(sorted(allowed))})")


def _time(data: dict, key: str, where: str) -> int:
    value = data.get(key)
    if value is None:
        raise ValueError(f"{where}{key} is required (an RFC 3339 time like 2025-01-13T00:00:00Z)")
    try:
        return parse_timestamp(value.isoformat() if hasattr(value, "isoformat") else value)
    except InvalidEvent:
        raise ValueError(f"{where}{key}: {value!r} is not an RFC 3339 time with offset") from None


def _duration(data: dict, key: str, where: str) -> int:
    try:
        return parse_duration_ms(str(data[key]), f"{where}{key}")
    except KeyError:
        raise ValueError(f"{where}{key} is required (e.g. 3d, 6h)") from None
    except UsageError as exc:
        raise ValueError(str(exc)) from None


def _number(data: dict, key: str, where: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{where}{key} must be a non-negative number, not {value!r}")
    return value


def _tag(value: object, where: str) -> str:
    tag = normalise_hashtag(str(value))
    if tag is None:
        raise ValueError(f"{where}: {value!r} is not a valid hashtag")
    return tag


def _mix(value: object, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in value.values()):
        raise ValueError(f"{where} must map names to non-negative weights, e.g. {{en: 0.8, zh: 0.2}}")
    if sum(value.values()) <= 0:
        raise ValueError(f"{where} weights must not all be zero")
    return {str(k): float(v) for k, v in value.items()}


def _section(cls, data: dict, where: str, **fixed):
    if not isinstance(data, dict):
        raise ValueError(f"{where.rstrip('.')} must be a mapping")
    names = {f.name: f for f in dataclasses.fields(cls)}
    _only(data, where, set(names) - set(fixed))
    values = dict(fixed)
    for key, value in data.items():
        default = names[key].default
        if key in ("languages", "regions"):
            values[key] = _mix(value, where + key)
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            number = _number(data, key, where, default)
            values[key] = int(number) if isinstance(default, int) else float(number)
        else:
            values[key] = value
    return cls(**values)


def _surge(data: dict, where: str) -> Surge:
    if not isinstance(data, dict):
        raise ValueError(f"{where.rstrip('.')} must be a mapping")
    shape = data.get("shape")
    if shape not in SHAPES:
        raise ValueError(f"{where}shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    rest = {k: v for k, v in data.items() if k not in ("tag", "start", "duration", "shape", "co_tags")}
    return _section(Surge, rest, where, tag=_tag(data.get("tag"), where + "tag"),
                    start=_time(data, "start", where), duration=_duration(data, "duration", where),
                    shape=shape, co_tags=tuple(_tag(t, where + "co_tags") for t in data.get("co_tags") or ()),
                    **{k: 0 for k in ("posts", "views") if k not in rest})


def _decoy(data: dict, where: str) -> Decoy:
    if not isinstance(data, dict):
        raise ValueError(f"{where.rstrip('.')} must be a mapping")
    kind = data.get("kind")
    if kind not in DECOY_KINDS:
        raise ValueError(f"{where}kind must be one of {', '.join(DECOY_KINDS)}, not {kind!r}")
    timed = {}
    if kind == "bot":
        timed = {"start": _time(data, "start", where), "duration": _duration(data, "duration", where)}
    rest = {k: v for k, v in data.items() if k not in ("kind", "tag", "start", "duration")}
    return _section(Decoy, rest, where, kind=kind, tag=_tag(data.get("tag"), where + "tag"), **timed)
