"""A backtest counts only the window sizes the detector reads, and alerts exactly as with all sizes."""

from streams.commands.backtest import detection_settings
from streams.embedded.runner import Pipeline, run, scenario_records
from streams.settings import Settings
from streams.sources.scenario import load_scenario


def test_detection_settings_keep_the_detectors_two_sizes():
    assert detection_settings(Settings()).window_sizes == ("5m", "1h")
    assert detection_settings(Settings(window_sizes=("1m", "10m", "2h"))).window_sizes == ("10m", "2h")


def test_alerts_are_the_same_as_with_every_size():
    scenario = load_scenario("surge-flash").scaled(0.5)
    full = run(scenario_records(scenario, 3), Pipeline(Settings()))
    lean = run(scenario_records(scenario, 3), Pipeline(detection_settings(Settings())))
    assert [a.to_dict() for a in lean.alerts] == [a.to_dict() for a in full.alerts]
    assert any(a.kind == "trend" for a in full.alerts)
    assert lean.windows < full.windows
