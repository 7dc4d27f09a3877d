"""The simulator: a scenario and a seed in, post and engagement events out, in event-time order.

``generate(scenario, seed)`` yields schema-v1 event dicts; the same scenario
and seed always give the same events. Time advances in one-minute steps: each
source (background, surges, decoys) writes the posts that fall into the step,
and every post schedules its engagement reports (view deltas) for later
steps. Posts and reports of a step are emitted sorted by event time.

Volumes are exact, not sampled: a source's post count up to any time is the
rounded integral of its rate, and a surge's ``views`` are split exactly over
its posts, so the views of a surge's posts reported before its end sum to the
scenario's number. ``labels(scenario, seed)`` is the ground truth.

>>> from streams.sources.scenario import load_scenario
>>> events = list(generate(load_scenario("surge-flash").scaled(0.01), seed=1))
>>> events == list(generate(load_scenario("surge-flash").scaled(0.01), seed=1))
True
>>> all(a["ts"] <= b["ts"] for a, b in zip(events, events[1:]))
True
"""

from __future__ import annotations

import heapq
import itertools
import random
from typing import Iterator

from streams.sources.labels import labels
from streams.sources.posts import Audience, Context, PostSource, background_tags, split_exactly
from streams.sources.profiles import HOUR_MS, cumulative, daily_rate, periodic_rate, weekly_factor
from streams.sources.scenario import Scenario, load_scenario

__all__ = ["generate", "labels", "load_scenario", "STEP_MS"]

STEP_MS = 60_000
NOISE_EPOCH_MS = 300_000  # the background's noise and news bursts change every 5 minutes
_NOISY_TAGS = 500  # overdispersion is drawn for the most popular tags (the rest are rare anyway)


class _Noise:
    """What makes the background look like a real stream: overdispersed tag counts and news bursts.

    Every ``NOISE_EPOCH_MS`` each popular tag's weight is multiplied by a
    Gamma(k, 1/k) factor (k = ``dispersion``): its 5-minute counts are then
    negative binomial with size k, as real tag volumes are. News bursts lift
    one of the ``news_tags`` most popular tags ``news_lift``-fold for hours;
    they are not labelled.
    """

    def __init__(self, scenario: Scenario, seed: int, weights: list[float]):
        bg = scenario.background
        self.bg, self.base = bg, weights
        self.rng = random.Random(f"{seed}/background-noise")
        days = (scenario.end - scenario.start) / 86_400_000
        self.bursts = []
        for _ in range(round(days * bg.news_bursts_per_day)):
            start = scenario.start + int(self.rng.random() * (scenario.end - scenario.start))
            length = int(bg.news_hours * HOUR_MS * (0.5 + self.rng.random()))
            self.bursts.append((start, start + length, self.rng.randrange(min(bg.news_tags, len(weights)))))

    def cum_weights(self, t: int) -> list[float]:
        weights = list(self.base)
        k = self.bg.dispersion
        if k > 0:
            gamma = self.rng.gammavariate
            for i in range(min(_NOISY_TAGS, len(weights))):
                weights[i] *= gamma(k, 1.0 / k)
        for start, end, i in self.bursts:
            if start <= t < end:
                weights[i] *= self.bg.news_lift
        return list(itertools.accumulate(weights))


class _Background(PostSource):
    def __init__(self, ctx: Context, scenario: Scenario):
        bg = scenario.background
        audience = Audience(bg.languages, bg.regions, bg.authors, bg.new_author_share)
        super().__init__(ctx, "background", audience, bg.views_per_post, bg.reports,
                         (scenario.start, scenario.end))
        self.bg, self.tags, self.cum_weights = bg, *background_tags(scenario)
        self.whole = int(bg.tags_per_post)
        self.fraction = bg.tags_per_post - self.whole
        self.noise, self.epoch = None, None
        if bg.dispersion > 0 or bg.news_bursts_per_day > 0:
            cw = self.cum_weights
            self.noise = _Noise(scenario, ctx.seed, [b - a for a, b in zip([0.0] + cw[:-1], cw)])

    def expected(self, a: int, b: int) -> float:
        bg, mid = self.bg, (a + b) / 2
        return (daily_rate(mid, bg.posts_per_second, bg.daily_cycle, bg.peak_hour)
                * weekly_factor(mid, bg.weekly_cycle) * (b - a))

    def step(self, a: int, b: int) -> None:
        if self.noise is not None and a // NOISE_EPOCH_MS != self.epoch:
            self.epoch = a // NOISE_EPOCH_MS
            self.cum_weights = self.noise.cum_weights(a)
        super().step(a, b)

    def tags_for(self, n: int) -> list[list[str]]:
        rng, tags, cw = self.rng, self.tags, self.cum_weights
        out = []
        for _ in range(n):
            k = self.whole + (rng.random() < self.fraction)
            out.append(list(dict.fromkeys(rng.choices(tags, cum_weights=cw, k=k))) if k else [])
        return out


class _Surge(PostSource):
    def __init__(self, ctx: Context, scenario: Scenario, index: int):
        s = self.surge = scenario.surges[index]
        bg = scenario.background
        audience = Audience(s.languages or bg.languages, s.regions or bg.regions,
                            min(s.authors, bg.authors), s.new_author_share)
        super().__init__(ctx, f"surge{index}", audience, 0.0, s.reports, (s.start, s.end))
        self.extra_tags, self.extra_cw = background_tags(scenario)

    def count_until(self, t: int) -> int:
        s = self.surge
        return round(s.posts * cumulative(s.shape, (t - s.start) / s.duration))

    def views_for(self, n: int, before: int) -> list[int]:
        total = self.surge.views
        posts = max(1, self.surge.posts)
        budget = round(total * (before + n) / posts) - round(total * before / posts)
        return split_exactly(self.rng, budget, n)

    def tags_for(self, n: int) -> list[list[str]]:
        rng, s = self.rng, self.surge
        out = []
        for _ in range(n):
            tags = [s.tag] + [t for t in s.co_tags if rng.random() < s.co_tag_share]
            if rng.random() < 0.3:
                tags.append(rng.choices(self.extra_tags, cum_weights=self.extra_cw)[0])
            out.append(list(dict.fromkeys(tags)))
        return out


class _Decoy(PostSource):
    def __init__(self, ctx: Context, scenario: Scenario, index: int):
        d = self.decoy = scenario.decoys[index]
        bg = scenario.background
        end = scenario.end if d.kind != "bot" else min(scenario.end, d.start + d.duration)
        bots = tuple(f"bot-{d.tag}-{i}" for i in range(max(1, d.accounts))) if d.kind == "bot" else ()
        first = d.start if d.kind == "bot" else scenario.start
        audience = Audience(d.languages or bg.languages, d.regions or bg.regions, bg.authors,
                            bots=bots, bots_created=first - 2 * 86_400_000)
        super().__init__(ctx, f"decoy{index}", audience, d.views_per_post, 1, (first, end))

    def expected(self, a: int, b: int) -> float:
        d, mid = self.decoy, (a + b) / 2
        if d.kind == "steady":
            return d.posts_per_second / 1000 * (b - a)
        return periodic_rate(mid, d.posts_per_day, d.peak_hour, d.width_hours) * (b - a)

    def count_until(self, t: int) -> int:
        d = self.decoy
        if d.kind != "bot":
            return super().count_until(t)
        return round(d.posts * cumulative("flash", (t - d.start) / d.duration))

    def tags_for(self, n: int) -> list[list[str]]:
        return [[self.decoy.tag] for _ in range(n)]


def _sources(scenario: Scenario, ctx: Context) -> list[PostSource]:
    sources: list[PostSource] = [_Background(ctx, scenario)]
    sources += [_Surge(ctx, scenario, i) for i in range(len(scenario.surges))]
    sources += [_Decoy(ctx, scenario, i) for i in range(len(scenario.decoys))]
    return sources


def generate(scenario: Scenario, seed: int = 0) -> Iterator[dict]:
    """Every event of ``scenario`` in event-time order (ties in creation order)."""
    ctx = Context(seed, scenario.start)
    sources = _sources(scenario, ctx)
    for a in range(scenario.start, scenario.end, STEP_MS):
        b = min(a + STEP_MS, scenario.end)
        ctx.batch = batch = []
        for source in sources:
            source.step(a, b)
        pending = ctx.pending
        while pending and pending[0][0] < b:
            batch.append(heapq.heappop(pending))
        batch.sort()
        for item in batch:
            yield item[2]
    for item in sorted(ctx.pending):  # nothing is scheduled past the end; kept for safety
        yield item[2]
