"""The rednote-2025 scenario holds the numbers it claims: 370 million #TikTokRefugee views and
700,000 new accounts in its first three days at full scale. Checked on a fifth of it (the scale
multiplies both, by construction), about 15 s instead of over a minute."""

import collections
from datetime import datetime, timezone

from detectors.events import is_new_author, parse_event
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate, labels

DAY = 86_400_000
SCALE = 0.2


def ms(text):
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def test_rednote_2025_views_new_accounts_language_and_co_trends():
    scenario = load_scenario("rednote-2025").scaled(SCALE)
    onset, jan13, jan16 = ms("2025-01-13T00:00:00"), ms("2025-01-13T00:00:00"), ms("2025-01-16T00:00:00")
    views, new_accounts = 0, set()
    english, posts = collections.Counter(), collections.Counter()
    tag_days = collections.Counter()
    watched = ("tiktokrefugee", "rednote", "xiaohongshu", "小红书", "tiktokban", "fyp", "goodmorning")
    for event in generate(scenario, seed=2025):
        if event["type"] == "engagement":
            if "tiktokrefugee" in event["hashtags"] and onset <= event["ts"] < onset + 3 * DAY:
                views += event["views"]
            continue
        day = (event["ts"] - scenario.start) // DAY
        posts[day] += 1
        english[day] += event["lang"] == "en"
        created = event["author_created"]
        if jan13 <= created < jan16 and is_new_author(parse_event(event)):
            new_accounts.add(event["author"])
        for tag in watched:
            if tag in event["hashtags"]:
                tag_days[tag, day] += 1
    assert abs(views - SCALE * 370_000_000) <= 0.02 * SCALE * 370_000_000
    assert abs(len(new_accounts) - SCALE * 700_000) <= 0.05 * SCALE * 700_000
    share = {day: english[day] / posts[day] for day in posts}
    assert share[0] < 0.1 and share[2] > 0.5 and share[2] > 5 * share[0]
    for tag in ("tiktokrefugee", "rednote", "xiaohongshu", "小红书", "tiktokban"):
        assert tag_days[tag, 2] > 10 * max(1, tag_days[tag, 0]), tag
    fyp = [tag_days["fyp", d] for d in range(5)]
    assert max(fyp) < 1.05 * min(fyp)
    morning = [tag_days["goodmorning", d] for d in range(5)]
    assert max(morning) < 1.05 * min(morning)
    truth = labels(scenario, 2025)
    assert {s["tag"] for s in truth["surges"]} >= {"tiktokrefugee", "rednote", "xiaohongshu", "小红书", "tiktokban"}
    assert [d["kind"] for d in truth["decoys"]] == ["steady", "periodic", "bot"]
