"""Reach projection: the views a surging tag is on track for by the end of a horizon.

Views arrive hours after the posts that earn them, so the projection counts
posts: the posts since onset plus the current rate held until the horizon,
times the views each post earns (the tag's own ratio once its views have come
in, never less than the platform's average).
"""

from __future__ import annotations

__all__ = ["project_views"]


def project_views(posts: int, views: int, posts_per_hour: float, elapsed_h: float, horizon_h: float,
                  views_per_post: float) -> int:
    """Views by ``horizon_h`` hours after onset if the current posting rate holds.

    Parameters
    ----------
    posts, views
        Posts and views of the tag since the onset of its surge.
    posts_per_hour
        Its current posting rate.
    elapsed_h
        Hours since onset.
    horizon_h
        The horizon of the projection, in hours after onset.
    views_per_post
        The platform's average views per post (a floor for the tag's own ratio).

    Examples
    --------
    >>> project_views(posts=1_000, views=100_000, posts_per_hour=500, elapsed_h=2, horizon_h=72,
    ...               views_per_post=300)
    10800000
    >>> project_views(posts=1_000, views=900_000, posts_per_hour=0, elapsed_h=80, horizon_h=72,
    ...               views_per_post=300)
    900000
    """
    if horizon_h <= 0:
        raise ValueError(f"horizon_h must be positive, not {horizon_h!r}")
    if elapsed_h >= horizon_h:
        return int(views)
    ratio = max(views / posts if posts else 0.0, views_per_post)
    future_posts = max(posts_per_hour, 0.0) * (horizon_h - max(elapsed_h, 0.0))
    return int(max(views, ratio * (posts + future_posts)))
