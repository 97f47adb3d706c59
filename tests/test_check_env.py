"""scripts/check_env.py: an environment installed from a stale lock file is caught at set-up."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import check_env


def test_the_test_environment_holds_what_pyproject_asks_for():
    assert check_env.problems("test") == []


def test_a_missing_package_and_an_old_version_are_reported(monkeypatch):
    requires = [
        "numpy>=1.26",
        "numpy>=999",
        "no-such-package-fer>=1.0",
        "tensorflow>=2.16",
        'pytest>=8; extra == "test"',
        'no-such-build-tool; extra == "build"',
    ]
    monkeypatch.setattr(check_env.metadata, "requires", lambda name: requires)
    found = check_env.problems("test")
    numpy = check_env.metadata.version("numpy")
    assert found == [f"numpy>=999 is installed at {numpy}", "no-such-package-fer>=1.0 is not installed"]
    assert "no-such-build-tool" in " ".join(check_env.problems("build"))
