"""The GUI stress script, end to end on a short run (its figures come from 10-minute runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_stress_script_runs_and_reports():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "stress_gui.py"), "--seconds", "15", "--interval", "0.8"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    out = proc.stdout
    assert "crashes: 0" in out, out[-3000:]
    assert "python exceptions: 0" in out, out[-3000:]
    assert "all ended after close: True" in out
    assert "models swapped in" in out and "label runs finished" in out and "live results drawn" in out
    # Resident memory is printed; "flat within 10%" is judged on 10-minute runs, not on 15 s.
    assert "resident memory: start" in out and proc.returncode in (0, 1)
