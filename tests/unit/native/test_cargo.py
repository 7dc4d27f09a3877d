"""The Rust crate's own checks, as part of the test suite: rustfmt, clippy and its unit tests.

Each runs cargo on ``native/`` and fails with cargo's output on a non-zero
exit. They need ``cargo`` on PATH, as building the package does.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CRATE = Path(__file__).resolve().parents[3] / "native"
CHECKS = {
    "fmt": ["cargo", "fmt", "--check"],
    "clippy": ["cargo", "clippy", "--all-targets", "--", "-D", "warnings"],
    "test": ["cargo", "test", "--quiet"],
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_cargo(name):
    assert shutil.which("cargo"), "cargo is not on PATH: install Rust >= 1.85 (see README)"
    env = {**os.environ, "CARGO_TERM_COLOR": "never"}
    done = subprocess.run(CHECKS[name], cwd=CRATE, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"cargo {name} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
