"""The live view of `trendwatch run`, in a real terminal (tmux), and its line output when stdout is not one."""

from __future__ import annotations

import io
import re
import subprocess
import sys

from detectors.records import Alert, Window
from streams.live.board import Board
from streams.live.plain import PlainDisplay

HOUR = 3_600_000
RUN = [sys.executable, "-m", "streams", "run", "--scenario", "surge-flash", "--scale", "0.2", "--metrics-port", "0"]


def _alert(tag: str, state: str, end: int, score: float = 9.0, kind: str = "trend") -> Alert:
    return Alert(tag, kind, state, end - 300_000, end, score, 50.0, 2.0, 3.0, 40, reason=f"{tag} is surging")


def test_board_ranks_tags_in_an_episode_first_and_forgets_resolved_ones():
    board = Board(size_ms=HOUR, history=6)
    for h in range(6):
        board.windows([Window("fyp", "1h", h * HOUR, (h + 1) * HOUR, posts=500),
                       Window("quake", "1h", h * HOUR, (h + 1) * HOUR, posts=1 if h < 5 else 40),
                       Window("quake", "5m", h * HOUR, h * HOUR + 300_000, posts=999)])
    assert [r.hashtag for r in board.top(2)] == ["fyp", "quake"]  # outside episodes: the busiest first
    assert board.top(2)[1].growth == 40.0
    board.alert(_alert("fyp", "started", 6 * HOUR, score=3.0))
    top = board.top(2)
    assert (top[0].hashtag, top[0].score, top[0].state) == ("fyp", 3.0, "started")
    assert top[1].posts == 40 and top[1].spark == "▁▁▁▁▁█"  # the 5m window is not in the 1h table
    assert [a.hashtag for a in board.episodes()] == ["fyp"]
    board.alert(_alert("fyp", "resolved", 9 * HOUR))
    assert board.episodes() == [] and board.top(1)[0].score is None
    assert [a.state for a in board.recent] == ["started", "resolved"]


def test_board_keeps_at_most_its_capacity_of_tags():
    board = Board(size_ms=HOUR, capacity=10)
    board.windows([Window(f"t{i}", "1h", 0, HOUR, posts=i) for i in range(25)])
    assert len(board.top(100)) == 10 and board.top(1)[0].hashtag == "t24"


def test_plain_display_prints_alerts_and_clears_its_progress_line_for_them(capsys):
    err = io.StringIO()
    view = PlainDisplay(progress=err, clock=iter(range(0, 1000, 2)).__next__)
    view.progress(position=HOUR, fraction=0.5, rate=1234.0)
    view.alert(_alert("quake", "started", 2 * HOUR))
    view.alert(_alert("quake", "ongoing", 2 * HOUR + 300_000))  # within 6 h of the last line shown: quiet
    view.close()
    assert capsys.readouterr().out.splitlines() == [
        "[1970-01-01 02:00] TREND      started  #quake  score 9.0  quake is surging"]
    assert "event time 1970-01-01 01:00 UTC  50%  1,234 events/s" in err.getvalue()
    assert "\r\x1b[K" in err.getvalue() and err.getvalue().endswith("\n")


def test_run_in_a_terminal_shows_the_live_view_then_the_summary(terminal):
    screen = terminal(RUN + ["--speed", "20000"])
    running = screen.wait_for("Trending now (1h windows)", "running", "UTC  ", "events/s", "last 24 windows")
    assert re.search(r"event time 2025-03-0\d \d\d:\d\d UTC  \d+%", running), running
    during = screen.wait_for("Active episodes", "#earthquake trend since 2025-03-04 06:05")
    assert "━" in during  # the progress bar
    done = screen.wait_for("Summary:", "[exit 0]")
    assert "finished" in done and "100%" in done and "Try next:" in done
    assert "#earthquake flagged as a trend 5 min after its surge began" in done
    assert "[2025-03-04 06:05] TREND      started  #earthquake" in done  # under Latest alerts


def test_run_plain_in_a_terminal_prints_lines_only(terminal):
    screen = terminal(RUN + ["--plain", "--no-progress"])
    done = screen.wait_for("Summary:", "[exit 0]")
    assert "Trending now" not in done and "━" not in done
    assert "TREND      started  #earthquake" in done


def test_run_without_a_terminal_prints_lines_and_with_progress_a_progress_line(subprocess_env):
    out = subprocess.run(RUN + ["--progress"], capture_output=True, text=True, timeout=300, env=subprocess_env)
    assert out.returncode == 0, out.stderr
    assert "Trending now" not in out.stdout and "TREND      started  #earthquake" in out.stdout
    assert re.search(r"event time 2025-03-05 23:59 UTC  100%  [\d,]+ events/s\n$", out.stderr)
    assert "Try next:" in out.stdout and "trendwatch run --follow" in out.stdout


def test_run_of_a_file_reports_the_share_read(tmp_path, subprocess_env):
    import gzip
    import json

    from streams.sources.scenario import load_scenario
    from streams.sources.simulator import generate

    data = tmp_path / "posts.jsonl.gz"
    with gzip.open(data, "wt", encoding="utf-8") as out:
        for event in generate(load_scenario("surge-flash").scaled(0.2), 0):
            out.write(json.dumps(event) + "\n")
    out = subprocess.run([sys.executable, "-m", "streams", "run", "--input", str(data), "--metrics-port", "0",
                          "--progress"], capture_output=True, text=True, timeout=300, env=subprocess_env)
    assert out.returncode == 0, out.stderr
    assert re.search(r"event time 2025-03-05 23:59 UTC  100%  [\d,]+ events/s\n$", out.stderr), out.stderr[-300:]


def test_run_of_a_count_series_in_a_terminal_shows_its_windows(terminal, tmp_path):
    path = tmp_path / "views.csv"
    rows = ["timestamp,value"] + [f"{1_736_640 + i * 3600},{20 + (i * 7) % 5}" for i in range(24 * 5)]
    path.write_text("\n".join(rows + [f"{1_736_640 + (120 + i) * 3600},{400 + 50 * i}" for i in range(4)]) + "\n")
    screen = terminal([sys.executable, "-m", "streams", "run", "--input", str(path), "--metrics-port", "0"])
    done = screen.wait_for("Trending now (1h windows)", "Summary:", "[exit 0]")
    row = next((line for line in done.splitlines() if "#views" in line and "│" in line), None)
    assert row is not None and "550" in row and "█" in row, done
    assert "124 windows at 1h" in done, done
