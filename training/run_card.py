"""The model card of a training run: what was trained, on which data, how it went, what it scored.

Written beside the model by ``training.fit.train``; the app lists models by it and the
Train tab compares a new model with the current one through its ``baseline``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from training.card import hardware_description, inherited_lineage
from training.cluster import ClusterRole
from training.config import TrainConfig
from training.contract.labels import CLASS_NAMES
from training.contract.preprocess import preprocessing_record
from training.data_prep import PreparedData


@dataclass
class FitOutcome:
    """What ``model.fit`` left behind, for the checks and the card."""

    history: dict[str, list[float]]
    nan_guard: Any
    stop_request: Any
    wall_time_s: float


def init_record(init: str | None) -> dict[str, str] | None:
    """The warm-start model's hash: its path may later hold another model (the shipped one does)."""
    if not init:
        return None
    from training.contract.tflite_copy import file_sha256

    return {"path": str(init), "sha256": file_sha256(init)}


def data_record(data: PreparedData) -> dict[str, Any]:
    """The card's account of the data: where from, which splits, and fingerprints to compare runs."""
    return {
        "source": data.source,
        "splits": data.splits,
        "counts": {
            "train": len(data.train),
            "val": len(data.val),
            **{k: len(v) for k, v in data.tests.items()},
        },
        "train_class_counts": data.train.class_counts(),
        "removed_test_overlap": data.removed_overlap,
        "fingerprint": data.train.fingerprint(),
        "val_fingerprint": data.val.fingerprint(),
        # Who gave the validation labels, where an export recorded it: {"model": 12, "corrected": 3}.
        "val_label_origin": dict(data.val_origins),
    }


def make_card(
    config: TrainConfig,
    model,
    model_path: Path,
    data: PreparedData,
    outcome: FitOutcome,
    weights: dict[int, float],
    init: dict[str, str] | None,
    evaluation: dict,
    baseline: dict | None,
    lite: dict[str, Any] | None,
) -> dict[str, Any]:
    history = outcome.history
    val_acc = history.get("val_accuracy", [0.0])
    return {
        "name": model_path.parent.name,
        "path": str(model_path),
        "class_names": list(CLASS_NAMES),
        "input_shape": [int(d) for d in model.input_shape[1:]],
        "architecture": model.name,
        "params": int(model.count_params()),
        "config": asdict(config),
        "init": init,
        "lineage": inherited_lineage(config.init),
        "teachers": [init_record(t) for t in config.teachers],
        "data": data_record(data),
        "training": {
            "epochs_run": len(history.get("loss", [])),
            "stopped_by_user": outcome.stop_request.stopped,
            "best_epoch": int(np.argmax(val_acc)) + 1,
            "best_val_accuracy": round(float(np.max(val_acc)), 4),
            "wall_time_s": round(outcome.wall_time_s, 1),
            "history": {
                k: [round(float(v), 5) for v in vals] for k, vals in history.items() if k != "learning_rate"
            },
            "class_weights": {CLASS_NAMES[i]: round(w, 3) for i, w in weights.items()},
        },
        "hardware": hardware_description(),
        "evaluation": evaluation,
        "baseline": baseline,
        "tflite": lite,
        "preprocessing": preprocessing_record(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def worker_summary(role: ClusterRole, outcome: FitOutcome) -> dict[str, Any]:
    """A non-chief worker's record of its part: it writes no model and no card."""
    val_acc = outcome.history.get("val_accuracy", [0.0])
    return {
        "worker": role.describe(),
        "evaluation": {},
        "training": {
            "epochs_run": len(outcome.history.get("loss", [])),
            "best_val_accuracy": round(float(np.max(val_acc)), 4),
            "wall_time_s": round(outcome.wall_time_s, 1),
        },
    }
