"""The benchmark scripts run end to end on tiny inputs (their figures come from full runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> str:
    """Run ``bench/<script>`` as a user does: as a module of the ``bench`` package, from the root."""
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{script.removesuffix('.py')}", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_video_benchmark_runs():
    out = run("bench_video.py", "--seconds", "1", "--runs", "1")
    assert "median over 1 runs" in out and "30 frames" in out


def test_video_benchmark_runs_with_the_annotated_video():
    out = run("bench_video.py", "--seconds", "1", "--runs", "1", "--annotated")
    assert "median over 1 runs" in out and "annotated video written" in out


def test_label_benchmark_runs():
    out = run("bench_label.py", "--photos", "6", "--runs", "1")
    assert "--jobs 1: median labelling rate" in out and "--jobs 2: median labelling rate" in out
    assert out.count("6 faces found") == 2


def test_training_benchmark_runs():
    out = run("bench_training.py", "--width", "8", "--batch-size", "16", "--steps", "2", "--windows", "2")
    assert "median training throughput" in out


def test_fer_comparison_runs_on_tiny_inputs(tmp_path):
    """The comparison end to end on tiny inputs; fer's side only where its environment exists."""
    data = ROOT.parent / "shared" / "data" / "fer2013"
    if not data.is_dir():
        import pytest

        pytest.skip("FER2013 not available beside the repository")
    args = ["--quick", "--data", str(data), "--out", str(tmp_path / "benchmarks.md")]
    has_fer = (ROOT / "bench" / ".venv-fer" / "bin" / "python").exists()
    if not has_fer:
        args.append("--skip-fer")
    run("compare_fer.py", *args)
    text = (tmp_path / "benchmarks.md").read_text()
    assert "| public | 50 |" in text and "| private | 50 |" in text
    assert "| 1 | FER Desktop |" in text and "| 4 | FER Desktop |" in text
    assert ("| 1 | fer |" in text) == has_fer


def test_model_table_rounds_accuracy_once():
    import numpy as np

    from bench.bench_models import percent_correct
    from training.evaluate import metrics_from_confusion

    cm = np.zeros((7, 7), dtype=np.int64)
    cm[0, 0], cm[0, 1] = 2489, 1100  # 2489 of 3589 correct: 69.35%
    report = metrics_from_confusion(cm)
    assert report["accuracy"] == 0.6935 and f"{report['accuracy']:.1%}" == "69.3%"  # the trap
    assert percent_correct(report) == "69.4%"
    no_face = metrics_from_confusion(cm, no_face=np.array([11, 0, 0, 0, 0, 0, 0]))
    assert percent_correct(no_face) == f"{2489 / 3600:.1%}"  # photos without a face count as wrong
