"""Layout rules: detectors/ stays pure, and every exported name resolves."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

import detectors
import streams

IO_MODULES = ["faust", "aiokafka", "kafka", "prometheus_client", "aiohttp", "requests", "mode"]


def test_detectors_import_no_io_libraries():
    code = (
        "import json, sys, pkgutil, importlib, detectors\n"
        "for m in pkgutil.walk_packages(detectors.__path__, 'detectors.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(json.dumps([m for m in {IO_MODULES!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def _packages():
    for root in (detectors, streams):
        yield root.__name__
        for info in pkgutil.walk_packages(root.__path__, root.__name__ + "."):
            if info.ispkg:
                yield info.name


@pytest.mark.parametrize("name", sorted(set(_packages())))
def test_every_name_in_all_resolves(name):
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no docstring"
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which does not exist"
