"""The simulator: determinism, valid events, exact volumes and the shape of each source."""

import collections
import json

import pytest

from detectors.events import decode_record, encode_events, parse_event
from streams.sources.profiles import HOUR_MS
from streams.sources.scenario import load_scenario, scenario_names
from streams.sources.simulator import generate, labels


def events_of(name, scale=0.05, seed=1):
    return list(generate(load_scenario(name).scaled(scale), seed))


def test_same_seed_same_events_other_seed_other_events():
    scenario = load_scenario("surge-step").scaled(0.02)
    first = list(generate(scenario, 5))
    assert first == list(generate(scenario, 5))
    assert first != list(generate(scenario, 6))


@pytest.mark.parametrize("name", scenario_names())
def test_every_shipped_scenario_gives_valid_events_in_time_order(name):
    scenario = load_scenario(name).scaled(0.01)
    events = list(generate(scenario, 2))
    assert events, name
    assert all(a["ts"] <= b["ts"] for a, b in zip(events, events[1:]))
    assert all(scenario.start <= e["ts"] < scenario.end for e in events)
    for start in range(0, len(events), 1000):
        decoded, rejected = decode_record(encode_events(events[start:start + 1000]))
        assert rejected == [] and len(decoded) == len(events[start:start + 1000])
    ids = [e["id"] for e in events if e["type"] == "post"]
    assert len(ids) == len(set(ids))
    posted = set(ids)
    assert all(e["post_id"] in posted for e in events if e["type"] == "engagement")


def test_engagements_follow_their_post_and_carry_its_tags():
    seen = {}
    for event in events_of("surge-flash", 0.05):
        if event["type"] == "post":
            seen[event["id"]] = event
        else:
            post = seen[event["post_id"]]
            assert event["ts"] >= post["ts"] and event["hashtags"] == post["hashtags"]
            assert event["views"] > 0


@pytest.mark.parametrize("name", ["surge-flash", "surge-step", "surge-ramp", "surge-slow-burn"])
def test_surge_posts_and_views_are_exact(name):
    scenario = load_scenario(name).scaled(0.05)
    surge = scenario.surges[0]
    posts = views = 0
    for event in generate(scenario, 3):
        if surge.tag not in event["hashtags"]:
            continue
        assert surge.start <= event["ts"] < surge.end
        if event["type"] == "post":
            posts += 1
        else:
            views += event["views"]
    assert posts == round(20000 * 0.05) and views == round(10_000_000 * 0.05)


def quarter_counts(name):
    scenario = load_scenario(name).scaled(0.2)
    surge = scenario.surges[0]
    quarters = collections.Counter()
    for event in generate(scenario, 4):
        if event["type"] == "post" and surge.tag in event["hashtags"]:
            quarters[(event["ts"] - surge.start) * 4 // surge.duration] += 1
    return [quarters[q] for q in range(4)]


def test_shapes_differ_as_described():
    flash, step, ramp, burn = (quarter_counts(n) for n in
                               ("surge-flash", "surge-step", "surge-ramp", "surge-slow-burn"))
    assert flash[0] > 2 * flash[1] > 0 and flash[0] > 10 * flash[3]
    assert max(step) < 1.1 * min(step)
    assert ramp[0] < ramp[1] < ramp[2] < ramp[3] and ramp[3] > 5 * ramp[0]
    assert burn[1] + burn[2] > 4 * (burn[0] + burn[3])


def hourly(events, tag):
    counts = collections.Counter(e["ts"] // HOUR_MS for e in events if e["type"] == "post" and tag in e["hashtags"])
    hours = range(events[0]["ts"] // HOUR_MS, events[-1]["ts"] // HOUR_MS)
    return [counts[h] for h in hours]


def test_steady_decoy_is_flat():
    counts = hourly(events_of("decoy-steady", 0.5), "fyp")
    assert min(counts) >= 0.9 * max(counts) > 0


def test_periodic_decoy_peaks_every_morning():
    events = events_of("decoy-periodic", 0.5)
    by_hour = collections.Counter((e["ts"] // HOUR_MS) % 24 for e in events
                                  if e["type"] == "post" and "goodmorning" in e["hashtags"])
    total = sum(by_hour.values())
    assert by_hour[6] + by_hour[7] + by_hour[8] > 0.6 * total
    assert by_hour[18] < 0.01 * total


def test_bot_decoy_comes_from_few_new_accounts_in_its_window():
    scenario = load_scenario("decoy-bot")
    bot = scenario.decoys[0]
    posts = [e for e in generate(scenario.scaled(0.2), 1)
             if e["type"] == "post" and bot.tag in e["hashtags"]]
    assert len(posts) == round(3000 * 0.2)
    assert len({p["author"] for p in posts}) <= bot.accounts
    assert all(bot.start <= p["ts"] < bot.start + bot.duration for p in posts)
    assert all(parse_event(p).ts - p["author_created"] < 7 * 86_400_000 for p in posts)


def test_labels_describe_the_scenario():
    scenario = load_scenario("surge-slow-burn").scaled(0.5)
    truth = json.loads(json.dumps(labels(scenario, 9)))
    surge = scenario.surges[0]
    assert truth["seed"] == 9 and truth["scale"] == 0.5
    main, co = truth["surges"]
    assert (main["tag"], main["shape"], main["start"], main["end"]) == (surge.tag, "logistic", surge.start, surge.end)
    assert main["views"] == 5_000_000 and main["posts"] == 10_000
    assert co["tag"] == surge.co_tags[0] and co["co_trend_of"] == [surge.tag]
    assert truth["decoys"] == []
    kinds = [d["kind"] for d in labels(load_scenario("steady-week"))["decoys"]]
    assert kinds == ["steady", "periodic"] and labels(load_scenario("steady-week"))["surges"] == []
