"""Model cards: what a model was trained on, how, and how well it does.

A card travels beside its model as ``<model>.card.json`` (machine-readable)
and ``<model>.card.md`` (for people).  A model warm-started from another carries that
model's story in ``lineage``, one line per earlier step.

    python -m training.card MODEL [--inherit-lineage] [--evaluation "NAME=REPORT.json" ...]

adds to an existing card the lineage of its starting model and reports written by
``fer-desktop eval --json`` (faces the model was not trained for, e.g. film stills).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

from training.contract import atomic
from training.contract.model_card import card_paths, read_card
from training.evaluate import format_report


def hardware_description() -> dict[str, Any]:
    import os

    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "gpus": gpus,
        "tensorflow": tf.__version__,
    }


def write_card(model_path: str | Path, card: dict[str, Any]) -> tuple[Path, Path]:
    json_path, md_path = card_paths(model_path)
    atomic.write_json(json_path, card)
    atomic.write_text(md_path, card_markdown(card))
    return json_path, md_path


def lineage_entry(card: dict[str, Any]) -> str:
    """One line for a later model's card: what this model was and how it was made."""
    config = card.get("config", {})
    training = card.get("training", {})
    how = config.get("command") or "fer-desktop train"
    val = card.get("evaluation", {}).get("val", {}).get("accuracy")
    sha = (card.get("file") or {}).get("sha256") or (card.get("tflite") or {}).get("keras_sha256") or "?"
    return (
        f"{card.get('name')} (SHA-256 {sha[:12]}…): {card.get('architecture')}, "
        f"{training.get('epochs_run')} epochs by {how}; labels {config.get('labels')} "
        f"(FER+ weight {config.get('ferplus_weight')}), augmentation {config.get('augmentation')}; "
        f"PublicTest {val if val is None else f'{val:.4f}'}"
    )


def inherited_lineage(init: str | Path | None) -> list[str]:
    """The starting model's own lineage and the starting model itself ([] without a card)."""
    card = read_card(init) if init else None
    if card is None:
        return []
    return [*card.get("lineage", []), lineage_entry(card)]


def inline(value: Any) -> str:
    """A card value as words for people: ``train: Training; val: PublicTest``, never a Python dict."""
    if isinstance(value, dict):
        parts = [f"{k} ({inline(v)})" if isinstance(v, dict) else f"{k}: {inline(v)}"
                 for k, v in value.items()]  # fmt: skip
        return "; ".join(parts) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(inline(v) for v in value) or "none"
    if value is None:
        return "not recorded"
    return str(value)


def card_markdown(card: dict[str, Any]) -> str:
    lines = [f"# Model card: {card.get('name', 'emotion model')}", ""]
    t = card.get("training", {})
    data = card.get("data", {})
    lines += [
        f"- Architecture: {card.get('architecture')} ({card.get('params', '?')} parameters)",
        f"- Data: {data.get('source')} (fingerprint {data.get('fingerprint')})",
        f"- Splits: {inline(data.get('splits'))}; images: {inline(data.get('counts'))}; "
        f"training images removed as duplicates of validation/test: {data.get('removed_test_overlap')}",
        f"- Epochs run: {t.get('epochs_run')} (best epoch {t.get('best_epoch')}), "
        f"wall time {(t.get('wall_time_s') or 0) / 60:.1f} min",
        f"- Seed: {card.get('config', {}).get('seed')}",
        f"- Preprocessing (the input this model expects): {inline(card.get('preprocessing'))}",
        f"- Hardware: {inline(card.get('hardware'))}",
        "",
    ]
    if card.get("licence"):  # the weights' terms, from the data they were trained on
        lines[-1:] = [f"- Licence: {card['licence']}", ""]
    for step in card.get("lineage", []):
        lines.append(f"- Earlier step: {step}")
    if card.get("lineage"):
        lines.append("")
    for split, report in card.get("evaluation", {}).items():
        lines += [f"## {split}", "", "```", format_report(report), "```", ""]
    for name, report in card.get("external_evaluation", {}).items():
        # Faces the model was not trained for (e.g. film stills), measured with `fer-desktop eval`.
        lines += [f"## {name} (not training data)", "", "```", format_report(report), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("model", type=Path)
    parser.add_argument("--inherit-lineage", action="store_true", help="add the starting model's lineage")
    parser.add_argument(
        "--evaluation", action="append", default=[], metavar="NAME=REPORT.json",
        help="a `fer-desktop eval --json` report to show under NAME (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    card = read_card(args.model)
    if card is None:
        print(f"error: {args.model}: no readable card beside it", file=sys.stderr)
        return 1
    reports = {}
    for item in args.evaluation:
        name, sep, path = item.partition("=")
        if not sep or not name:
            print(f"error: --evaluation {item!r} is not NAME=REPORT.json", file=sys.stderr)
            return 2
        try:
            report = json.loads(Path(path).read_text(encoding="utf-8"))
            if not isinstance(report, dict) or "accuracy" not in report:  # any JSON is not a report
                raise ValueError("no accuracy")
            reports[name] = report
        except (OSError, ValueError) as exc:
            print(f"error: {path}: not a `fer-desktop eval --json` report ({exc})", file=sys.stderr)
            return 1
    if args.inherit_lineage:
        card["lineage"] = inherited_lineage((card.get("init") or {}).get("path"))
    card["external_evaluation"] = {**card.get("external_evaluation", {}), **reports}
    write_card(args.model, card)
    print(f"card of {args.model} updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
