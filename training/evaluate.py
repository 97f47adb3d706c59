"""Honest evaluation: accuracy, per-class precision/recall/F1, confusion matrix.

The JSON keys written here (``accuracy``, ``n``, ``per_class``,
``confusion_matrix``, ``split``, ``model``) are a public contract of
``fer-desktop eval``: add keys, never rename them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training.labels import CLASS_NAMES, NUM_CLASSES


def predict_probs(model, images: np.ndarray, tta: bool = False, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for uint8 model inputs; ``tta`` averages with the mirror image."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def forward(x):
        return model(x, training=False)

    out = []
    for start in range(0, len(images), batch_size):
        x = tf.convert_to_tensor(images[start : start + batch_size], dtype=tf.float32)
        p = forward(x)
        if tta:
            p = (p + forward(tf.reverse(x, axis=[2]))) / 2.0
        out.append(p.numpy())
    if not out:
        return np.zeros((0, NUM_CLASSES), dtype=np.float32)
    return np.concatenate(out)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Rows are true classes, columns predicted classes, both in class order."""
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def metrics_from_confusion(cm: np.ndarray) -> dict[str, Any]:
    n = int(cm.sum())
    per_class = {}
    for i, name in enumerate(CLASS_NAMES):
        tp = int(cm[i, i])
        predicted = int(cm[:, i].sum())
        support = int(cm[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": support,
        }
    accuracy = float(np.trace(cm)) / n if n else 0.0
    macro_f1 = float(np.mean([v["f1"] for v in per_class.values()]))
    return {
        "accuracy": round(accuracy, 4),
        "n": n,
        "macro_f1": round(macro_f1, 4),
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
        "class_names": list(CLASS_NAMES),
    }


def evaluate_arrays(model, images: np.ndarray, labels: np.ndarray, tta: bool = False) -> dict[str, Any]:
    probs = predict_probs(model, images, tta=tta)
    cm = confusion_matrix(labels, probs.argmax(axis=1))
    report = metrics_from_confusion(cm)
    report["tta"] = tta
    return report


def format_report(report: dict[str, Any]) -> str:
    """A readable, fixed-width report for terminals and model-card summaries."""
    lines = [
        f"accuracy {report['accuracy']:.4f} on {report['n']} images"
        + (" (TTA: mirror average)" if report.get("tta") else " (single crop)"),
        f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}",
    ]
    for name, m in report["per_class"].items():
        lines.append(f"{name:<10}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9d}")
    lines.append("confusion matrix (rows true, columns predicted):")
    lines.append(" " * 10 + "".join(f"{n[:7]:>8}" for n in CLASS_NAMES))
    for name, row in zip(CLASS_NAMES, report["confusion_matrix"], strict=True):
        lines.append(f"{name:<10}" + "".join(f"{v:>8d}" for v in row))
    return "\n".join(lines)
