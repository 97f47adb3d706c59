"""Honest evaluation: accuracy, per-class precision/recall/F1, confusion matrix.

The JSON keys written here (``accuracy``, ``n``, ``per_class``,
``confusion_matrix``, ``split``, ``model``) are a public contract of
``fer-desktop eval``: add keys, never rename them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from training.contract.labels import CLASS_NAMES, NUM_CLASSES
from training.contract.wording import count


def predict_probs(
    model,
    images: np.ndarray,
    tta: bool = False,
    batch_size: int = 256,
    on_progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Class probabilities for uint8 model inputs; ``tta`` averages with the mirror image.

    ``on_progress`` gets the number of images done after each batch."""
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
        if on_progress:
            on_progress(start + len(out[-1]))
    if not out:
        return np.zeros((0, NUM_CLASSES), dtype=np.float32)
    return np.concatenate(out)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Rows are true classes, columns predicted classes, both in class order."""
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def metrics_from_confusion(cm: np.ndarray, no_face: np.ndarray | None = None) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/F1 and prediction shares from a confusion matrix.

    ``no_face`` (per true class) counts photos where no face was found: they are
    wrong answers (a prediction of no class), so they lower recall and accuracy
    but stay out of the 7x7 ``confusion_matrix``.
    """
    missed = np.zeros(NUM_CLASSES, dtype=np.int64) if no_face is None else np.asarray(no_face, np.int64)
    n = int(cm.sum() + missed.sum())
    per_class = {}
    for i, name in enumerate(CLASS_NAMES):
        tp = int(cm[i, i])
        predicted = int(cm[:, i].sum())
        support = int(cm[i, :].sum() + missed[i])
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
    report = {
        "accuracy": round(accuracy, 4),
        "n": n,
        "macro_f1": round(macro_f1, 4),
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
        "class_names": list(CLASS_NAMES),
    }
    shares, summary = prediction_shares(cm, missed)
    for name, entry in shares.items():
        per_class[name].update(entry)
    report.update(summary)
    return report


def prediction_shares(
    cm: np.ndarray, no_face: np.ndarray
) -> tuple[dict[str, dict[str, float | None]], dict[str, Any]]:
    """How often each class is predicted against how often it occurs: the bias a model has.

    A model that reads most faces as 'sad' can keep a fair accuracy on its own test
    set; the share ratio (predicted share / true share) shows it at once.  Returns
    ``predicted_share``, ``true_share`` and ``share_ratio`` per class (the caller merges
    them into ``per_class``), and the worst ratio with its class.  A photo without a
    face is a prediction of no class: it counts in the true shares, in no predicted one.
    """
    n = int(cm.sum() + no_face.sum())
    predicted = cm.sum(axis=0)
    true = cm.sum(axis=1) + no_face
    shares: dict[str, dict[str, float | None]] = {}
    for i, name in enumerate(CLASS_NAMES):
        p_share = predicted[i] / n if n else 0.0
        t_share = true[i] / n if n else 0.0
        shares[name] = {
            "predicted_share": round(float(p_share), 4),
            "true_share": round(float(t_share), 4),
            "share_ratio": round(float(p_share / t_share), 4) if t_share else None,
        }
    ratios = {name: s["share_ratio"] for name, s in shares.items() if s["share_ratio"] is not None}
    worst = max(ratios, key=ratios.__getitem__) if ratios else None
    return shares, {
        "worst_share_ratio": ratios[worst] if worst else None,
        "most_overpredicted": worst,
        "no_face": int(no_face.sum()),
        "no_face_share": round(float(no_face.sum() / n), 4) if n else 0.0,
    }


def evaluate_arrays(
    model,
    images: np.ndarray,
    labels: np.ndarray,
    tta: bool = False,
    no_face: np.ndarray | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Score ``model`` on model inputs; ``no_face`` counts photos without a face (wrong) per class."""
    probs = predict_probs(model, images, tta=tta, on_progress=on_progress)
    cm = confusion_matrix(labels, probs.argmax(axis=1))
    report = metrics_from_confusion(cm, no_face)
    report["tta"] = tta
    return report


def format_report(report: dict[str, Any]) -> str:
    """A readable, fixed-width report for terminals and model-card summaries."""
    lines = [
        f"accuracy {report['accuracy']:.4f} on {count(report['n'], 'image')}"
        + (" (TTA: mirror average)" if report.get("tta") else " (single crop)"),
    ]
    if report.get("no_face") or report.get("detect"):
        lines.append(
            f"no face found in {report['no_face']} of {count(report['n'], 'photo')} "
            f"({report['no_face_share']:.1%}; counted as wrong)"
        )
    lines.append(
        f"{'class':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}{'pred%':>8}{'true%':>8}{'ratio':>7}"
    )
    for name, m in report["per_class"].items():
        shares = ""
        if "predicted_share" in m:  # reports written before the shares existed lack them
            ratio = "-" if m["share_ratio"] is None else f"{m['share_ratio']:.2f}"
            shares = f"{m['predicted_share']:>8.1%}{m['true_share']:>8.1%}{ratio:>7}"
        lines.append(
            f"{name:<10}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>9d}{shares}"
        )
    lines.append(f"macro F1 {report['macro_f1']:.4f}")
    if report.get("most_overpredicted"):
        worst = report["per_class"][report["most_overpredicted"]]
        lines.append(
            f"worst share ratio {report['worst_share_ratio']:.2f}: {report['most_overpredicted']} is "
            f"{worst['predicted_share']:.1%} of predictions, {worst['true_share']:.1%} of the truth"
        )
    lines.append("confusion matrix (rows true, columns predicted):")
    lines.append(" " * 10 + "".join(f"{n[:7]:>8}" for n in CLASS_NAMES))
    for name, row in zip(CLASS_NAMES, report["confusion_matrix"], strict=True):
        lines.append(f"{name:<10}" + "".join(f"{v:>8d}" for v in row))
    return "\n".join(lines)
