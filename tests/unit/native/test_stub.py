"""detectors/_native.pyi types the extension: every name it declares exists, and nothing public is untyped."""

import ast
from pathlib import Path

from detectors import _native

STUB = Path(__file__).resolve().parents[3] / "detectors" / "_native.pyi"
ALIASES = {"PostFields", "EngagementFields", "MentionFields", "RejectedFields", "ClockState"}


def declared() -> set[str]:
    names = set()
    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    return names - ALIASES


def test_stub_and_module_declare_the_same_names():
    public = {name for name in dir(_native) if not name.startswith("_")}
    assert declared() == public
