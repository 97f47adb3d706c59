"""Where a model's card lives, and reading it: what the app needs of a card, without Keras.

A card travels beside its model as ``<model>.card.json`` (machine-readable) and
``<model>.card.md`` (for people); ``training.card`` writes both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def card_paths(model_path: str | Path) -> tuple[Path, Path]:
    p = Path(model_path)
    stem = p.with_suffix("")
    return stem.with_name(stem.name + ".card.json"), stem.with_name(stem.name + ".card.md")


def read_card(model_path: str | Path) -> dict[str, Any] | None:
    json_path, _ = card_paths(model_path)
    try:
        return json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
