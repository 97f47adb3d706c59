"""Write docs/commands.md, the command reference, from ``fer-desktop``'s own parser.

    .venv/bin/python scripts/command_reference.py          # rewrite docs/commands.md
    .venv/bin/python scripts/command_reference.py --check  # exit 1 when it differs

The reference is generated rather than written by hand so that it cannot drift from
``--help``; tests/test_command_reference.py fails when the file is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fer_desktop.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "commands.md"
WIDTH = 100  # usage lines wrap here whatever the terminal, so the file is the same everywhere

HEADER = """\
# Command reference

Every `fer-desktop` command with its options and their defaults, as `--help` states them.
This file is written by `scripts/command_reference.py` from the command line's parser; do not
edit it by hand. `--verbose` may come before the command or after it.
"""


def render(parser: argparse.ArgumentParser | None = None) -> str:
    """The whole reference as markdown."""
    parser = parser or build_parser()
    sections = [HEADER, _section(parser, parser.description or "")]
    for name, command in _commands(parser).items():
        sections.append(_section(command, _command_help(parser, name)))
    return "\n".join(sections)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command_help(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def _section(parser: argparse.ArgumentParser, summary: str) -> str:
    lines = [f"## `{parser.prog}`", "", _escape(summary), "", "```text", _usage(parser), "```", ""]
    actions = [a for a in parser._actions if _documented(a)]
    positionals = [a for a in actions if not a.option_strings]
    options = [a for a in actions if a.option_strings]
    if positionals:
        lines += ["| Argument | Description |", "| --- | --- |"]
        lines += [f"| `{a.metavar or a.dest}` | {_escape(a.help or '')} |" for a in positionals]
        lines.append("")
    if options:
        lines += ["| Option | Default | Description |", "| --- | --- | --- |"]
        lines += [f"| `{_invocation(parser, a)}` | {_default(a)} | {_describe(a)} |" for a in options]
        lines.append("")
    return "\n".join(lines)


def _documented(action: argparse.Action) -> bool:
    """Every option but ``--help``, the command list and a command's echo of ``--verbose``."""
    if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
        return False
    return action.default is not argparse.SUPPRESS


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip()


def _invocation(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return argparse.HelpFormatter(parser.prog, width=WIDTH)._format_action_invocation(action)


def _default(action: argparse.Action) -> str:
    if action.required:
        return "required"
    if action.default in (None, False, []) or isinstance(action, argparse._VersionAction):
        return ""
    return f"`{action.default}`"


def _describe(action: argparse.Action) -> str:
    text = _escape(action.help or "")
    if action.choices:
        text += f" (one of: {', '.join(f'`{c}`' for c in action.choices)})"
    if isinstance(action, argparse._AppendAction):
        text += " (may be repeated)"
    return text.strip()


def _escape(text: str) -> str:
    """Table-safe markdown: a pipe would end the cell, a ``<word>`` would read as HTML."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="only report whether the file is up to date")
    check = args.parse_args(argv).check
    text = render()
    if check:
        if REFERENCE.exists() and REFERENCE.read_text(encoding="utf-8") == text:
            return 0
        print(f"{REFERENCE} is out of date: run scripts/command_reference.py", file=sys.stderr)
        return 1
    REFERENCE.write_text(text, encoding="utf-8")
    print(f"written: {REFERENCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
