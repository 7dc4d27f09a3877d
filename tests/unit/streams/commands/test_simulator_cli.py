"""``trendwatch simulate`` and scenario files: outputs, determinism and every error path."""

import gzip
import json

import pytest
from click.testing import CliRunner

from streams.cli import cli
from streams.errors import InputError, UsageError
from streams.sources.scenario import load_scenario
from streams.sources.simulator import generate


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_same_seed_gives_byte_identical_files(tmp_path):
    paths = [tmp_path / f"{i}.jsonl.gz" for i in range(3)]
    for path, seed in zip(paths, (7, 7, 8)):
        result = run("simulate", "--scenario", "surge-ramp", "--scale", "0.02", "--seed", str(seed), "--out", str(path))
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes() != paths[2].read_bytes()
    lines = gzip.decompress(paths[0].read_bytes()).decode().splitlines()
    expected = list(generate(load_scenario("surge-ramp").scaled(0.02), 7))
    assert [json.loads(line) for line in lines] == expected


def test_labels_file_and_plain_jsonl(tmp_path):
    out, truth = tmp_path / "e.jsonl", tmp_path / "labels.json"
    result = run("simulate", "--scenario", "decoy-bot", "--scale", "0.01", "--out", str(out), "--labels", str(truth))
    assert result.exit_code == 0, result.output
    data = json.loads(truth.read_text())
    assert data["scenario"] == "decoy-bot" and data["decoys"][0]["kind"] == "bot"
    assert all(json.loads(line)["v"] == 1 for line in out.read_text().splitlines())


def test_custom_scenario_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("start: 2025-01-01T00:00:00Z\nduration: 2h\nbackground: {posts_per_second: 0.5}\n"
                    "surges:\n  - {tag: '#Mine', start: '2025-01-01T01:00:00Z', duration: 30m, shape: step,"
                    " posts: 100, views: 1000}\n")
    scenario = load_scenario(str(path))
    assert scenario.name == "mine" and scenario.surges[0].tag == "mine"
    events = list(generate(scenario, 1))
    assert sum(e["views"] for e in events if e["type"] == "engagement" and "mine" in e["hashtags"]) == 1000


@pytest.mark.parametrize("text, fragment", [
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nbogus: 1\n", "unknown key bogus"),
    ("duration: 1d\n", "start is required"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nsurges: [{tag: a, start: 2025-01-01T00:00:00Z, "
     "duration: 1h, shape: zigzag}]\n", "surges[0].shape"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\ndecoys: [{kind: steady, tag: '!!'}]\n", "decoys[0].tag"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nbackground: {zipf: -1}\n", "background.zipf"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nbackground: {languages: {en: x}}\n", "background.languages"),
    ("start: 2025-01-01T00:00:00Z\nduration: soon\n", "duration"),
    ("start: [1\n", "not valid YAML"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nsurges: [{tag: a, start: 2024-12-31T23:00:00Z, "
     "duration: 2h, shape: step, posts: 5}]\n", "surges[0] runs from 2024-12-31T23:00:00Z"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\ndecoys: [{kind: bot, tag: b, start: 2025-01-01T23:00:00Z, "
     "duration: 2h}]\n", "decoys[0] runs from"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nsurges: [{tag: a, start: 2025-01-01T00:00:00Z, "
     "duration: 2h, shape: step}]\n", "surges[0].posts is required"),
    ("start: 2025-01-01T00:00:00Z\nduration: 1d\nbackground: {tags: 0}\n", "background.tags"),
])
def test_bad_scenario_files_name_the_problem(tmp_path, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        load_scenario(str(path))
    from streams.cli import main
    assert main(["simulate", "--scenario", str(path), "--out", str(tmp_path / "x.jsonl")]) == 1


@pytest.mark.parametrize("args, fragment", [
    (("--scenario", "nope", "--out", "x"), "no scenario 'nope'"),
    (("--speed", "fast", "--out", "x"), "--speed"),
    (("--scale", "0", "--out", "x"), "--scale"),
    (("--compression", "lz4", "--broker", "kafka://127.0.0.1:1"), "lz4"),
])
def test_usage_errors(tmp_path, args, fragment):
    with pytest.raises(UsageError, match=fragment):
        CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_kafka_is_the_default_target(tmp_path):
    result = CliRunner().invoke(cli, ["simulate", "--scale", "0.01"], env={"TRENDWATCH_BROKER": "kafka://127.0.0.1:1"})
    assert result.exit_code == 1 and "cannot reach the Kafka broker at kafka://127.0.0.1:1" in str(result.exception)


def test_usage_errors_exit_2_through_main(tmp_path, capsys):
    from streams.cli import main
    assert main(["simulate", "--speed", "0", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: --speed") and "Traceback" not in err
