"""The layering rules of docs/architecture.md, checked on the source itself."""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_training_never_imports_the_app_or_qt():
    for path in (ROOT / "training").rglob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith(("fer_desktop", "PySide6", "pyqtgraph")), f"{path}: imports {name}"


def test_only_the_ui_package_imports_qt():
    for path in (ROOT / "fer_desktop").rglob("*.py"):
        if "ui" in path.relative_to(ROOT / "fer_desktop").parts:
            continue
        for name in imported_modules(path):
            assert not name.startswith(("PySide6", "pyqtgraph")), f"{path}: imports {name}"


FEATURES = ("live", "labelling", "personal", "cli", "ui")


def test_the_models_depend_on_no_feature():
    """The model catalogue and runtimes (models/) serve every feature, like the pipeline
    (tests/test_pipeline.py checks that one), so no feature package may sit under them."""
    for package in ("models",):
        for path in (ROOT / "fer_desktop" / package).rglob("*.py"):
            for name in imported_modules(path):
                parts = name.split(".")
                assert not (parts[0] == "fer_desktop" and len(parts) > 1 and parts[1] in FEATURES), (
                    f"{path}: imports {name}"
                )


def test_the_contract_imports_nothing_heavy_and_no_other_training_module():
    """training/contract/ is what the app imports from the Keras side: no TensorFlow, no Keras."""
    for path in (ROOT / "training" / "contract").rglob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith(("tensorflow", "keras")), f"{path}: imports {name}"
            assert not name.startswith("training.") or name.startswith("training.contract"), (
                f"{path}: imports {name}"
            )


def test_files_stay_small_and_the_top_of_the_app_stays_short():
    """Files that take every new feature grow: the layout keeps each source file to 400 lines,
    and the top of fer_desktop/ to shared infrastructure (at most a dozen modules)."""
    for package in ("fer_desktop", "training"):
        for path in (ROOT / package).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert lines <= 400, f"{path.relative_to(ROOT)}: {lines} lines"
    top = sorted(p.name for p in (ROOT / "fer_desktop").glob("*.py"))
    assert len(top) <= 12, top


def test_cli_help_does_not_import_heavy_modules():
    """`fer-desktop --help` and every `fer-desktop COMMAND --help` answer at once: building the
    parser and each command's parser imports no TensorFlow, Keras, Qt or MediaPipe."""
    import subprocess
    import sys

    code = """
import contextlib, io, sys
from fer_desktop.cli import COMMANDS, build_parser

commands = [[], *([name] for name in COMMANDS)]
exits = []
for argv in commands:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args([*argv, "--help"])
    except SystemExit as exc:
        exits.append(exc.code)
assert exits == [0] * len(commands), exits
print(sorted(m for m in ("tensorflow", "mediapipe", "PySide6", "keras") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_opening_the_main_window_does_not_import_tensorflow():
    """Start-up time: Keras and TensorFlow load only for training or a model without a TFLite copy."""
    import subprocess
    import sys

    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from fer_desktop.pipeline.engine import AnalyzerEngine;"
        "from fer_desktop.paths import default_model_path;"
        "from fer_desktop.ui.main_window import MainWindow;"
        "w = MainWindow(AnalyzerEngine(default_model_path()), '0');"
        "w.show(); app.processEvents();"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
