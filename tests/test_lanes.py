"""The quick lane's list of slow tests names real tests, so a rename cannot slip one back in."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import SLOW, lane_marks

TESTS = Path(__file__).resolve().parent


def defined_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_slow_entry_names_a_test_that_exists():
    for file_name, names in SLOW.items():
        path = TESTS / file_name
        assert path.is_file(), f"SLOW names {file_name}, which is gone"
        missing = names - {"*"} - defined_functions(path)
        assert not missing, f"SLOW names tests that {file_name} no longer has: {sorted(missing)}"


def test_marks_follow_the_file_the_name_and_qt():
    assert lane_marks("test_bundle.py", "test_x", []) == ["bundle"]
    assert lane_marks("test_multi_worker.py", "anything", ["qtbot"]) == ["slow", "gui"]
    assert lane_marks("test_training.py", "test_nan_loss_is_reported", []) == ["slow"]
    assert lane_marks("test_training.py", "test_some_quick_check", []) == []
