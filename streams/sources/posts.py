"""Building blocks of the simulator: a source of posts and the engagement reports they cause.

A ``PostSource`` writes, for each time step, the posts that its rate (or its
surge shape) puts there: author, language, region, text with hashtags, and
then schedules the post's view deltas as engagement events for later. Every
source draws from its own random generator seeded from the run's seed and
its name, so adding a decoy does not change the background.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass

from streams.sources.profiles import DAY_MS, HOUR_MS
from streams.sources.scenario import Scenario

__all__ = ["Audience", "Context", "PostSource", "background_tags", "split_exactly"]

REPORT_DELAY_MS = 2 * HOUR_MS  # mean delay between a post and each of its view reports
NEW_ACCOUNT_AGE_MS = (60_000, 6 * HOUR_MS)  # a new account posts this long after sign-up
_REPORT_RATE = 1 / REPORT_DELAY_MS
_SIGMA = 1.2  # spread (log-normal sigma) of views per post

_WORDS = {
    "en": "just joined hello from the us love this app so much new here anyone else today".split(),
    "zh": "今天 分享 日常 美食 生活 好看 推荐 真的 喜欢 欢迎 朋友 一起".split(),
    "ja": "今日 こんにちは 楽しい 写真 好き 美味しい".split(),
    "ko": "오늘 안녕 좋아요 사진 맛집 여행".split(),
    "es": "hola desde aqui me encanta esta app nueva".split(),
}
_PHRASES_PER_LANGUAGE = 64


def _phrases(lang: str) -> list[str]:
    """A fixed set of short phrases per language (four words each), the same in every run."""
    words = _WORDS.get(lang, _WORDS["en"])
    glue = "" if lang in ("zh", "ja") else " "
    rng = random.Random(f"phrases/{lang}")
    return [glue.join(rng.choices(words, k=4)) + " " for _ in range(_PHRASES_PER_LANGUAGE)]


_SYLLABLES = "ka lo mi ren sa tu vi zen bo da fei go hu ji ke li mu na pe qi ru shi ta wu xi yo".split()


class Context:
    """Shared state of one run: id counters, the current step's batch, scheduled reports."""

    def __init__(self, seed: int, start: int):
        self.seed, self.start = seed, start
        self.seq = itertools.count()
        self.post_ids = itertools.count()
        self.new_authors = itertools.count()
        self.batch: list = []
        self.pending: list = []


def background_tags(scenario: Scenario) -> tuple[list[str], list[float]]:
    """The background's tag names (pseudo-words) and their cumulative Zipf weights."""
    named = {s.tag for s in scenario.surges} | {t for s in scenario.surges for t in s.co_tags}
    named |= {d.tag for d in scenario.decoys}
    tags, n, size = [], 0, len(_SYLLABLES)
    while len(tags) < scenario.background.tags:
        word, k = "", n
        while True:
            word += _SYLLABLES[k % size]
            k //= size
            if not k:
                break
        if word not in named and len(word) > 2:
            tags.append(word)
        n += 1
    weights = [1 / (rank + 1) ** scenario.background.zipf for rank in range(len(tags))]
    return tags, list(itertools.accumulate(weights))


def split_exactly(rng: random.Random, total: int, n: int) -> list[int]:
    """``total`` split into ``n`` heavy-tailed non-negative parts that sum to ``total`` exactly."""
    if n <= 0:
        return []
    weights = list(itertools.accumulate(rng.lognormvariate(0, _SIGMA) for _ in range(n)))
    scale = total / weights[-1]
    bounds = [0] + [round(w * scale) for w in weights]
    bounds[-1] = total
    return [bounds[i + 1] - bounds[i] for i in range(n)]


def _cum(mix: dict) -> tuple[list[str], list[float]]:
    return list(mix), list(itertools.accumulate(mix.values()))


@dataclass(frozen=True)
class Audience:
    """Who writes a source's posts: languages and regions (weights), and which accounts.

    Posts come from ``bots`` (created at ``bots_created``) if given; otherwise
    a share ``new_share`` from brand-new accounts and the rest from the first
    ``pool`` existing accounts, a few of which post a lot.
    """

    languages: dict
    regions: dict
    pool: int = 1
    new_share: float = 0.0
    bots: tuple = ()
    bots_created: int = 0


class PostSource:
    """Posts with a given tag mix, audience and views; subclasses say how many and which tags."""

    def __init__(self, ctx: Context, key: str, audience: Audience, views_per_post: float, reports: int,
                 window: tuple[int, int]):
        self.ctx, self.rng = ctx, random.Random(f"{ctx.seed}/{key}")
        self.langs, self.regions = _cum(audience.languages), _cum(audience.regions)
        self.mu = math.log(max(views_per_post, 1e-9)) - _SIGMA ** 2 / 2
        self.views_per_post = views_per_post
        self.reports, (self.first, self.limit) = max(1, reports), window
        self.pool, self.new_share = max(1, audience.pool), audience.new_share
        self.bots, self.bots_created = list(audience.bots), audience.bots_created
        self.emitted, self._expected = 0, 0.0
        self._phrases: dict[str, list[str]] = {}

    # --- what subclasses define -------------------------------------------------
    def expected(self, a: int, b: int) -> float:
        return 0.0

    def count_until(self, t: int) -> int:
        """Posts written before ``t``; called once per step with increasing ``t``."""
        return round(self._expected)

    def tags_for(self, n: int) -> list[list[str]]:
        raise NotImplementedError

    def views_for(self, n: int, before: int) -> list[int]:
        if self.views_per_post <= 0:
            return [0] * n
        rng, mu = self.rng, self.mu
        return [int(rng.lognormvariate(mu, _SIGMA)) for _ in range(n)]

    # --- the step ---------------------------------------------------------------
    def step(self, a: int, b: int) -> None:
        self._expected += self.expected(a, b)
        n = self.count_until(b) - self.emitted
        if n <= 0:
            return
        rng = self.rng
        lo, hi = max(a, self.first), min(b, self.limit)
        times = sorted(lo + int(rng.random() * (hi - lo)) for _ in range(n))
        langs = rng.choices(self.langs[0], cum_weights=self.langs[1], k=n)
        regions = rng.choices(self.regions[0], cum_weights=self.regions[1], k=n)
        views = self.views_for(n, self.emitted)
        ctx, author_of, rand, phrases = self.ctx, self._author, rng.random, self._phrases
        batch, seq, post_ids, schedule = ctx.batch, ctx.seq, ctx.post_ids, self._schedule_reports
        for ts, lang, region, tags, seen in zip(times, langs, regions, self.tags_for(n), views):
            author, created = author_of(ts)
            post_id = f"p{next(post_ids)}"
            texts = phrases.get(lang) or phrases.setdefault(lang, _phrases(lang))
            batch.append((ts, next(seq), {
                "v": 1, "type": "post", "id": post_id, "ts": ts, "author": author,
                "text": texts[int(rand() * _PHRASES_PER_LANGUAGE)] + " ".join(["#" + t for t in tags]),
                "hashtags": tags, "lang": lang, "region": region, "author_created": created}))
            if seen > 0:
                schedule(post_id, ts, tags, seen)
        self.emitted += n

    def _author(self, ts: int) -> tuple[str, int]:
        rng = self.rng
        if self.bots:
            return rng.choice(self.bots), self.bots_created
        if self.new_share and rng.random() < self.new_share:
            return f"n{next(self.ctx.new_authors)}", ts - rng.randint(*NEW_ACCOUNT_AGE_MS)
        index = int(self.pool * rng.random() ** 2)
        return f"u{index}", self.ctx.start - (8 + index % 1500) * DAY_MS

    def _schedule_reports(self, post_id: str, ts: int, tags: list[str], views: int) -> None:
        rng, ctx, last, push = self.rng, self.ctx, self.limit - 1, heapq.heappush
        if self.reports == 1:
            at = min(ts + 1000 + int(rng.expovariate(_REPORT_RATE)), last)
            push(ctx.pending, (at, next(ctx.seq), {"v": 1, "type": "engagement", "post_id": post_id, "ts": at,
                                                   "hashtags": tags, "views": views, "likes": views // 25}))
            return
        remaining, at = views, ts
        for left in range(self.reports - 1, -1, -1):
            at = min(at + 1000 + int(rng.expovariate(_REPORT_RATE)), last)
            part = remaining if left == 0 else int(remaining * rng.random())
            remaining -= part
            if part:
                push(ctx.pending, (at, next(ctx.seq), {"v": 1, "type": "engagement", "post_id": post_id,
                                                       "ts": at, "hashtags": tags, "views": part,
                                                       "likes": part // 25}))
