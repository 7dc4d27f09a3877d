"""The backtest report: a self-contained HTML page with a plot per hashtag that matters.

``series`` records, during a backtest, every hashtag's windows at the
detector's fast and slow sizes and what the scorer expected of each window; ``build`` picks the
hashtags (alert episodes, labelled surges and decoys) and draws them with
``plots`` (matplotlib, PNG, CJK-capable fonts); ``page`` writes the page with
the evaluation in readable words and numbers. Used by ``trendwatch backtest
--report``.
"""

from streams.report.build import MAX_PLOTS, tag_plots
from streams.report.page import LEGEND, MEASURES, readable, report_html, write_report
from streams.report.plots import FONTS, missing_glyphs, tag_png
from streams.report.series import Series, SeriesRecorder

__all__ = ["MAX_PLOTS", "tag_plots", "LEGEND", "MEASURES", "readable", "report_html", "write_report", "FONTS",
           "missing_glyphs", "tag_png", "Series", "SeriesRecorder"]
