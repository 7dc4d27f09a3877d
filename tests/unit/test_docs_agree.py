"""Docs and CLI agree: every flag README.md and docs/ name exists, on the command they name it for."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from streams.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
OTHER_TOOLS = {"--build", "--rm", "--config", "--check", "--add-scram", "--no-deps", "--tool", "--toggle-collect"}
"""Flags of other programs the docs show (docker compose up --build, promtool check --config, Kafka's
storage tool format --add-scram, pip wheel --no-deps, valgrind --tool=callgrind --toggle-collect)."""


def _commands(group: click.Group, path=()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


COMMANDS = {" ".join(path): {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
            for path, command in _commands(cli)}
GLOBAL = {opt for p in cli.params for opt in (*p.opts, *p.secondary_opts)} | {"--help", "--version"}


def _script_flags() -> set[str]:
    found = set()
    for path in [*ROOT.glob("bench/*.py"), *ROOT.glob("scripts/*.py")]:
        found |= set(re.findall(r"[\"'](--[a-z][a-z0-9-]*)[\"']", path.read_text(encoding="utf-8")))
    return found


def _invocations(text: str):
    """``(command, flags)`` for every ``trendwatch ...`` in code spans and code blocks."""
    for chunk in re.findall(r"```.*?```|`[^`\n]+`", text, flags=re.S):
        for line in chunk.strip("`").splitlines():
            for part in re.split(r"&&|;|\||#", line):
                words = part.split()
                if "trendwatch" not in words:
                    continue
                words = words[words.index("trendwatch") + 1:]
                path = []
                while words and " ".join([*path, words[0]]) in COMMANDS:
                    path.append(words.pop(0))
                if path:
                    yield " ".join(path), [w.split("=")[0] for w in words if w.startswith("--")]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_flag_named_in_the_docs_exists(doc):
    known = set().union(*COMMANDS.values()) | GLOBAL | _script_flags() | OTHER_TOOLS
    missing = sorted(set(FLAG.findall(doc.read_text(encoding="utf-8"))) - known)
    assert missing == [], f"{doc.name} names flags no command has: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_trendwatch_command_line_in_the_docs_parses(doc):
    wrong = [(command, flag) for command, flags in _invocations(doc.read_text(encoding="utf-8"))
             for flag in flags if flag not in COMMANDS[command] | GLOBAL]
    assert wrong == [], f"{doc.name}: flags given to commands that do not have them: {wrong}"


def test_the_checks_can_fail():
    assert list(_invocations("`trendwatch worker --no-such-flag`")) == [("worker", ["--no-such-flag"])]
    assert "--no-such-flag" not in COMMANDS["worker"]


def test_docs_events_examples_parse_and_its_limits_are_the_code_s():
    import json

    from detectors import events, hashtags

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, flags=re.S)]
    post, engagement = (events.parse_event(e) for e in examples)
    assert post.hashtags == ("tiktokrefugee", "小红书") and engagement.views == 1200
    reasons = re.findall(r"^\| `([a-z_]+)` \| (?!string|number|array)", text, flags=re.M)
    assert tuple(reasons) == events.REASONS
    for limit in (events.MAX_TEXT_LENGTH, events.MAX_ID_LENGTH, events.MAX_GIVEN_TAGS,
                  hashtags.MAX_TAGS_PER_POST, hashtags.MAX_TAG_LENGTH):
        assert f"{limit:,}" in text, limit
    assert "1 MiB" in text and events.MAX_RECORD_BYTES == 1 << 20
    assert "docs/events.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_screenshots_exist_and_the_script_makes_each_of_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\((docs/images/[^)]+)\)", readme)
    assert len(images) >= 3
    script = (ROOT / "scripts" / "screenshots.py").read_text(encoding="utf-8")
    for image in images:
        assert (ROOT / image).stat().st_size > 10_000, image
        assert Path(image).name in script, f"{image} is not made by scripts/screenshots.py"
