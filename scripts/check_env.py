"""Check that the environment holds what pyproject.toml asks for, after an install from a lock file.

    .venv/bin/python scripts/check_env.py [app|test|build]

The lock files are written from pyproject.toml by scripts/lock.sh; a dependency added to
pyproject.toml without refreshing them would install without it, and the first sign would be
an ImportError somewhere in the tests. scripts/setup_env.sh runs this after each install.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement

# The locks install another build of these (requirements/overrides.txt says why).
REPLACEMENTS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "opencv-contrib-python": ("opencv-contrib-python", "opencv-python-headless"),
}


def installed_version(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def problems(extra: str) -> list[str]:
    found = []
    for text in metadata.requires("fer-desktop") or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        names = REPLACEMENTS.get(req.name.lower(), (req.name,))
        version = installed_version(names)
        if version is None:
            found.append(f"{req} is not installed")
        elif not req.specifier.contains(version, prereleases=True):
            found.append(f"{req} is installed at {version}")
    return found


def main() -> int:
    extra = sys.argv[1] if len(sys.argv) > 1 else "app"
    found = problems("" if extra == "app" else extra)
    for line in found:
        print(f"pyproject.toml: {line}", file=sys.stderr)
    if found:
        print(
            f"requirements/{extra}.txt does not match pyproject.toml: refresh the locks with "
            "scripts/lock.sh --no-upgrade (new packages only) or scripts/lock.sh (everything)",
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
