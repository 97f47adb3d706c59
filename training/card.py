"""Model cards: what a model was trained on, how, and how well it does.

A card travels beside its model as ``<model>.card.json`` (machine-readable)
and ``<model>.card.md`` (for people).
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from training import atomic
from training.evaluate import format_report


def card_paths(model_path: str | Path) -> tuple[Path, Path]:
    p = Path(model_path)
    stem = p.with_suffix("")
    return stem.with_name(stem.name + ".card.json"), stem.with_name(stem.name + ".card.md")


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


def read_card(model_path: str | Path) -> dict[str, Any] | None:
    import json

    json_path, _ = card_paths(model_path)
    try:
        return json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
