"""Alert episodes: started, ongoing, resolved — with a cooldown, so one surge is one episode.

An episode starts at the first hot window of a tag (outside its cooldown),
reports ``ongoing`` at most every ``ongoing_every_ms`` of event time while the
tag stays hot, and is ``resolved`` once the tag has not even been warm for
``quiet_ms``. After that the tag cannot start a new episode for
``cooldown_ms``. A ``suspicious`` episode whose tag becomes a real trend (many
authors) is upgraded: a ``trend`` episode starts in its place.
"""

from __future__ import annotations

from detectors.baseline import HOUR_MS
from detectors.projection import project_views
from detectors.records import Alert
from detectors.surge import Verdict

__all__ = ["Episode", "AlertBook", "EXACT_AUTHORS", "authors_of"]


class Episode:
    """One surge of one tag, from onset to resolution."""

    __slots__ = ("hashtag", "kind", "onset", "last_hot", "last_emit", "score", "posts", "views", "rate")

    def __init__(self, verdict: Verdict):
        w = verdict.window
        self.hashtag, self.kind, self.onset = w.hashtag, verdict.kind, w.window_start
        self.last_hot = self.last_emit = w.window_end
        self.score, self.posts, self.views, self.rate = verdict.score, 0, 0, 0.0


EXACT_AUTHORS = 256  # windows count authors exactly up to this many (WindowAggregator), then estimate


def authors_of(w) -> int:
    """Distinct authors an alert may claim: never more than the posts (an estimate can overshoot)."""
    return min(w.authors, w.posts) if w.posts > 0 else w.authors


def _authors_text(w) -> str:
    """``from N authors``; ``about N`` when the count is a sketch estimate; nothing when unknown."""
    if w.authors == 0 and w.posts > 0:
        return ""  # a count series: no authors known
    n = authors_of(w)
    return f" from about {n} authors (estimated)" if w.authors > EXACT_AUTHORS else f" from {n} authors"


def _reason(v: Verdict) -> str:
    w = v.window
    if v.kind == "suspicious":
        per_author = w.posts / max(w.authors, 1)
        return (f"{w.posts} posts in {w.size} from only {w.authors} authors ({per_author:.0f} per author): "
                "a burst carried by a handful of accounts")
    lift = v.observed / max(v.expected, 1e-9)
    lift_text = f"{lift:.0f}x" if v.expected >= 0.05 else "a tag new to this scale"
    return (f"{w.posts} posts in {w.size}{_authors_text(w)} vs {v.expected:.1f} expected "
            f"({lift_text}), growth x{v.growth:g}")


class AlertBook:
    """Keeps the episodes of every tag and turns verdicts into alerts.

    Parameters
    ----------
    z_off
        A tag is warm (its episode goes on) while its score is at least this.
    quiet_ms
        An episode resolves after this long without a warm window.
    cooldown_ms
        After resolution, no new episode on the tag for this long.
    ongoing_every_ms
        Least event time between two ``ongoing`` alerts of an episode.
    horizon_h
        Projection horizon in hours after onset.
    max_related
        At most this many related tags per alert.

    Examples
    --------
    >>> from detectors.records import Window
    >>> book = AlertBook(quiet_ms=600_000, cooldown_ms=3_600_000)
    >>> w = Window("cats", "5m", 0, 300_000, posts=60, views=6000, authors=50)
    >>> a = book.observe(Verdict(w, "trend", 11.0, 60, 3.0, 20.0), views_per_post=100)
    >>> a.state, a.kind, a.projected_views, a.projection_horizon_h
    ('started', 'trend', 5184000, 72.0)
    >>> [x.state for x in book.expire(600_000)], [x.state for x in book.expire(900_000)]
    ([], ['resolved'])
    >>> book.observe(Verdict(w, "trend", 11.0, 60, 3.0, 20.0), views_per_post=100) is None
    True
    """

    def __init__(self, z_off: float = 2.0, quiet_ms: int = 3 * HOUR_MS, cooldown_ms: int = 12 * HOUR_MS,
                 ongoing_every_ms: int = HOUR_MS, horizon_h: float = 72.0, max_related: int = 5):
        for name in ("quiet_ms", "cooldown_ms", "ongoing_every_ms"):
            if locals()[name] < 0:
                raise ValueError(f"{name} must not be negative, not {locals()[name]!r}")
        if horizon_h <= 0 or max_related < 0 or z_off <= 0:
            raise ValueError("horizon_h and z_off must be positive, max_related not negative")
        self.z_off, self.quiet_ms, self.cooldown_ms = z_off, quiet_ms, cooldown_ms
        self.ongoing_every_ms, self.horizon_h, self.max_related = ongoing_every_ms, horizon_h, max_related
        self.active: dict[str, Episode] = {}
        self._cooldown: dict[str, int] = {}

    def accumulate(self, episode: Episode, posts: int, views: int, size_ms: int) -> None:
        """Count a window of the tag into its episode (posts and views since onset, current rate)."""
        episode.posts += posts
        episode.views += views
        episode.rate = posts * HOUR_MS / size_ms

    def observe(self, verdict: Verdict, views_per_post: float) -> Alert | None:
        """Fold a warm or hot verdict into the tag's episode; the alert to publish, if any."""
        w = verdict.window
        episode = self.active.get(w.hashtag)
        if episode is None:
            if verdict.kind is None or self._cooldown.get(w.hashtag, -1) > w.window_end:
                return None
            episode = self.active[w.hashtag] = Episode(verdict)
            self.accumulate(episode, w.posts, w.views, w.size_ms)
            return self._alert(episode, verdict, "started", views_per_post)
        if verdict.score >= self.z_off:
            episode.last_hot = max(episode.last_hot, w.window_end)
        if verdict.kind == "trend" and episode.kind == "suspicious":
            episode.kind, episode.last_emit = "trend", w.window_end
            return self._alert(episode, verdict, "started", views_per_post)
        if verdict.kind == episode.kind and w.window_end - episode.last_emit >= self.ongoing_every_ms:
            episode.last_emit = w.window_end
            return self._alert(episode, verdict, "ongoing", views_per_post)
        return None

    def expire(self, now: int) -> list[Alert]:
        """Resolve the episodes that have been quiet for ``quiet_ms`` at event time ``now``."""
        done = [e for e in self.active.values() if now - e.last_hot >= self.quiet_ms]
        alerts = []
        for episode in sorted(done, key=lambda e: e.hashtag):
            del self.active[episode.hashtag]
            self._cooldown[episode.hashtag] = now + self.cooldown_ms
            alerts.append(Alert(episode.hashtag, episode.kind, "resolved", now - self.quiet_ms, now,
                                score=0.0, observed=0.0, expected=0.0, growth=0.0, unique_authors=0,
                                reason=f"quiet for {self.quiet_ms // 60_000} min; {episode.posts} posts"
                                       + (f", {episode.views} views" if episode.views else "") + " since onset"))
        if len(self._cooldown) > 4 * len(self.active) + 1000:
            self._cooldown = {t: until for t, until in self._cooldown.items() if until > now}
        return alerts

    def _related(self, tag: str) -> tuple[str, ...]:
        others = [e for e in self.active.values() if e.hashtag != tag and e.kind == "trend"]
        others.sort(key=lambda e: (-e.score, e.hashtag))
        return tuple(e.hashtag for e in others[:self.max_related])

    def _alert(self, episode: Episode, v: Verdict, state: str, views_per_post: float) -> Alert:
        w = v.window
        episode.score = max(episode.score, v.score)
        elapsed_h = (w.window_end - episode.onset) / HOUR_MS
        projected = None
        if episode.views > 0 or views_per_post > 0:  # a count series has no views: project none
            projected = project_views(episode.posts, episode.views, episode.rate, elapsed_h, self.horizon_h,
                                      views_per_post)
        return Alert(w.hashtag, episode.kind, state, w.window_start, w.window_end,
                     score=round(v.score, 2), observed=float(v.observed), expected=round(v.expected, 2),
                     growth=v.growth, unique_authors=authors_of(w),
                     related=self._related(w.hashtag) if episode.kind == "trend" else (),
                     projected_views=projected,
                     projection_horizon_h=None if projected is None else float(self.horizon_h),
                     size=w.size, reason=_reason(v))
