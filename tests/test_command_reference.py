"""The command reference and every command the docs show agree with the parser."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

from fer_desktop.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent
# Synopsis notation and placeholders, not a command to run: `[--opt X]`, `A | B`, `PART.csv...`, `<dir>`.
SYNOPSIS = re.compile(r"\[--|\s\|\s|\.\.\.|<")
SHELL_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _reference_script():
    spec = importlib.util.spec_from_file_location(
        "command_reference", ROOT / "scripts" / "command_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_command_reference_is_what_the_parser_generates():
    script = _reference_script()
    written = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert written == script.render(), "docs/commands.md is out of date: run scripts/command_reference.py"


def test_the_reference_has_every_command_and_option():
    text = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) == set(COMMANDS)
    for name, parser in commands.items():
        assert f"## `fer-desktop {name}`" in text
        for action in parser._actions:
            for option in action.option_strings:
                assert option in text or option in ("-h", "--help")


def _code_lines(path: Path):
    """``(line number, text)`` of each line in a fenced or indented code block, with
    backslash-continued lines joined."""
    fenced = False
    pending: tuple[int, str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if pending is not None:
            start, text = pending
            line, number = text + " " + line.strip(), start
            pending = None
        elif not (fenced or line.startswith(("    ", "\t"))):
            continue
        if line.rstrip().endswith("\\"):
            pending = (number, line.rstrip()[:-1])
            continue
        yield number, line


def _documented_commands():
    """``(where, argv)`` of each ``fer-desktop`` (or ``.venv/bin/fer-desktop``) command in a code block,
    after an optional ``$`` prompt and ``NAME=value`` environment settings."""
    for path in sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]):
        for number, line in _code_lines(path):
            if "fer-desktop" not in line or SYNOPSIS.search(line):
                continue
            try:
                words = shlex.split(SHELL_VARIABLE.sub("1", line), comments=True)
            except ValueError:  # not a line of shell
                continue
            while words and (words[0] == "$" or ASSIGNMENT.match(words[0])):
                words.pop(0)
            if words and Path(words[0]).name == "fer-desktop":
                yield f"{path.relative_to(ROOT)}:{number}", words


def _parse_error(argv: list[str]) -> str | None:
    """What the parser says against ``fer-desktop ARGV``, or None when it parses (``--help`` included)."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv[1:])
    except SystemExit as exc:
        return None if exc.code == 0 else stderr.getvalue().strip().splitlines()[-1]
    return None


def _command(line: str) -> list[str]:
    return shlex.split(SHELL_VARIABLE.sub("1", line))


def test_every_command_in_the_readme_and_docs_parses():
    """Each `fer-desktop ...` line in a code block is one the command line accepts (a shell variable
    stands for a value; synopsis lines with `[--option]`, `A | B`, `...` or `<placeholder>` are skipped)."""
    commands = list(_documented_commands())
    assert commands, "no `fer-desktop ...` command found in README.md or docs/"
    failures = [
        f"{where}: {command}\n    {error}" for where, command in commands if (error := _parse_error(command))
    ]
    assert not failures, "\n".join(failures)


def test_synopsis_and_placeholder_lines_are_recognised():
    """The skip rule catches notation only, not a real command."""
    assert SYNOPSIS.search("fer-desktop train --data PATH [--epochs N]")
    assert SYNOPSIS.search("fer-desktop merge-labels OUT.csv PART.csv...")
    assert not SYNOPSIS.search("fer-desktop label photos/ --out labels.csv --jobs 4")
    assert _parse_error(_command("fer-desktop label photos/ --out labels.csv --shard $K/8")) is None
    assert _parse_error(_command("fer-desktop label photos/ --out labels.csv --jobs 0")) is not None
