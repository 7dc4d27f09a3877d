"""Plots of a report with matplotlib: one PNG per hashtag, its fast and slow series one above the other.

Each panel shows the posts per window, what the detector expected and the band up to the
detector's start threshold, the labelled spans (a surge, a bot decoy) and a
marker for every alert step (started: red for a trend, orange for a
suspicious burst; resolved: grey). Text is drawn with DejaVu Sans and, for
CJK hashtags, Noto Sans CJK (Debian package ``fonts-noto-cjk``).
"""

from __future__ import annotations

import io
import warnings
from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from streams.report.series import Series  # noqa: E402
from streams.settings import format_duration  # noqa: E402

__all__ = ["tag_png", "FONTS", "missing_glyphs"]

FONTS = ["DejaVu Sans", "Noto Sans CJK JP", "Noto Sans CJK SC"]
_MARK = {("trend", "started"): "#d62728", ("suspicious", "started"): "#ff7f0e"}


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def _panel(ax, series: Series, alerts, spans) -> None:
    x = [_dt(e) for e in series.ends]
    ax.fill_between(x, series.expected, series.upper, step="pre", color="#1f77b4", alpha=0.15,
                    label="expected to start threshold (learnt dispersion)" if series.learnt
                    else "baseline to start threshold (Poisson)")
    ax.step(x, series.expected, where="pre", color="#1f77b4", linewidth=0.8, alpha=0.7, label="expected")
    ax.step(x, series.posts, where="pre", color="black", linewidth=0.9, label="posts per window")
    for start, end, colour, label in spans:
        ax.axvspan(_dt(start), _dt(end), color=colour, alpha=0.12, label=label)
    for alert in alerts:
        colour = _MARK.get((alert.kind, alert.state), "#7f7f7f" if alert.state == "resolved" else None)
        if colour is not None:
            ax.axvline(_dt(alert.window_end), color=colour, linewidth=1.2,
                       linestyle="--" if alert.state == "resolved" else "-")
    ax.set_ylabel(f"posts / {format_duration(series.size_ms)}")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.25)


def tag_png(title: str, panels: list[Series], alerts, spans, dpi: int = 90) -> bytes:
    """The figure of one hashtag as PNG bytes. ``spans``: ``(start_ms, end_ms, colour, label)``."""
    with plt.rc_context({"font.family": FONTS, "font.size": 9}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.2 * len(panels) + 0.6), sharex=True, squeeze=False)
        try:
            for ax, series in zip(axes[:, 0], panels):
                _panel(ax, series, alerts, spans)
            axes[0, 0].set_title(title, loc="left", fontsize=11)
            handles, labels = axes[0, 0].get_legend_handles_labels()
            seen = dict(zip(labels, handles))
            axes[0, 0].legend(seen.values(), seen.keys(), loc="upper left", fontsize=7, ncol=4, framealpha=0.8)
            axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=timezone.utc))
            fig.autofmt_xdate()
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=dpi, bbox_inches="tight")
        finally:
            plt.close(fig)
    return out.getvalue()


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` none of ``FONTS`` can draw (what the report would show as boxes)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tag_png(text, [Series("x", 60_000, [60_000, 120_000], [1, 2], [1.0, 1.0], [2.0, 2.0])], [], [])
    return sorted({str(w.message) for w in caught if "missing from" in str(w.message)})
