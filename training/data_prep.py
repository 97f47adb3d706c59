"""Training data: the splits a run fits and selects on, and the tf.data pipelines over them.

FER2013 brings its own protocol (Training to fit, PublicTest to select, PrivateTest
reported once); a class-folder tree is split per class. Training images that also
appear in an evaluation split are dropped, so the figures are not inflated.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training import datasets
from training.config import TrainConfig
from training.contract.label_origin import count_origins, model_share_warning
from training.contract.labels import NUM_CLASSES
from training.datasets import DatasetError, LabeledImages

log = logging.getLogger(__name__)


@dataclass
class PreparedData:
    train: LabeledImages
    val: LabeledImages
    tests: dict[str, LabeledImages]
    source: str
    splits: dict[str, str]
    removed_overlap: int = 0
    # Who gave the validation labels (label_origin.csv of an export): model, confirmed, corrected,
    # unknown; empty for data that no export wrote.
    val_origins: Counter = field(default_factory=Counter)


def _image_hashes(images: np.ndarray) -> list[bytes]:
    return [hashlib.blake2b(img.tobytes(), digest_size=16).digest() for img in images]


def remove_overlap(train: LabeledImages, *others: LabeledImages) -> tuple[LabeledImages, int]:
    """Drop training images whose pixels also appear in an evaluation split.

    FER2013 holds exact duplicates across splits (568 test images are also in
    Training); training on them inflates the test figure.
    """
    held_out = {h for o in others for h in _image_hashes(o.images)}
    keep = np.array([h not in held_out for h in _image_hashes(train.images)], dtype=bool)
    removed = int((~keep).sum())
    return train.subset(np.flatnonzero(keep)), removed


def stratified_split(data: LabeledImages, fraction: float, seed: int) -> tuple[LabeledImages, LabeledImages]:
    rng = np.random.default_rng(seed)
    val_idx = []
    for c in range(NUM_CLASSES):
        idx = np.flatnonzero(data.labels == c)
        rng.shuffle(idx)
        n_val = round(len(idx) * fraction) if len(idx) > 1 else 0
        val_idx.extend(idx[:n_val])
    mask = np.zeros(len(data), dtype=bool)
    mask[np.asarray(val_idx, dtype=np.int64)] = True
    return data.subset(np.flatnonzero(~mask)), data.subset(np.flatnonzero(mask))


def prepare_data(config: TrainConfig, on_warning: Callable[[str], None] | None = None) -> PreparedData:
    """Load train/validation/test splits from any supported layout.

    FER2013 (folders or csv) uses its own protocol: Training to fit,
    PublicTest to select, PrivateTest reported once.  A class-folder tree is
    split by class, ``val_fraction`` held out.
    """
    path = Path(config.data)
    on_error = config.on_error
    has_splits = datasets.has_own_splits(path) or path.suffix.lower() == ".csv"  # a missing csv: its error
    if has_splits and not config.force_holdout:
        train = _with_label_source(datasets.load_any(path, "train", on_error), config)
        val = datasets.load_any(path, "public", on_error)
        tests = {"private": datasets.load_any(path, "private", on_error)}
        splits = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
    else:
        # Hold out val_fraction of each class: of FER2013's Training split, or of a class-folder tree.
        everything = datasets.load_any(path, "train" if has_splits else "all", on_error)
        if has_splits:
            everything = _with_label_source(everything, config)
        train, val = stratified_split(everything, config.val_fraction, config.seed)
        tests = {}
        origin = "Training, " if has_splits else ""
        splits = {
            "train": f"{origin}{1 - config.val_fraction:.0%} per class",
            "val": f"{origin}{config.val_fraction:.0%} per class",
        }
    for extra in config.extra_data:
        extra_train, extra_val = stratified_split(
            datasets.load_any(extra, "all", on_error), config.val_fraction, config.seed
        )
        train = LabeledImages.concat([train, extra_train])
        val = LabeledImages.concat([val, extra_val])
    removed = 0
    if config.exclude_test_overlap:
        train, removed = remove_overlap(train, val, *tests.values())
        if removed:
            log.info("removed %d training images that also appear in validation/test", removed)
    if config.teachers:
        from training.distill import with_teachers

        train = with_teachers(train, config.teachers, config.teacher_weight)
    missing = datasets.check_usable(train, f"{config.data} (training split)", allow_missing=bool(config.init))
    if missing:
        _warn(
            f"{config.data}: no training images for {', '.join(missing)}; fine-tuning "
            f"{Path(config.init).name} without them (it may predict them less often afterwards)",
            on_warning,
        )
    if len(val) == 0:
        raise DatasetError(f"{config.data}: no validation images")
    origins = count_origins(val.paths, [config.data, *config.extra_data])
    warning = model_share_warning(origins)
    if warning:
        _warn(warning, on_warning)
    return PreparedData(train, val, tests, str(config.data), splits, removed, origins)


def _warn(message: str, on_warning: Callable[[str], None] | None) -> None:
    log.warning("%s", message)
    if on_warning is not None:
        on_warning(message)


def _with_label_source(train: LabeledImages, config: TrainConfig) -> LabeledImages:
    """Swap FER2013's labels for FER+ votes, or blend both, when asked; validation keeps FER2013's."""
    if config.labels == "fer2013":
        return train
    from training import ferplus

    if not config.ferplus:
        raise DatasetError(f"--labels {config.labels} needs the FER+ file fer2013new.csv (--ferplus)")
    votes, others = ferplus.read_votes(config.ferplus)
    rows = ferplus.rows_for(train, config.data, config.manifest)
    if config.labels == "mixed":
        return ferplus.mix_ferplus(train, votes, others, rows, config.ferplus_weight)
    mode = "soft" if config.labels == "ferplus-soft" else "majority"
    return ferplus.apply_ferplus(train, votes, others, rows, mode)


def class_weights(labels: np.ndarray, power: float) -> dict[int, float]:
    """Inverse-frequency weights softened by ``power`` (0: none, 1: fully balanced)."""
    counts = np.bincount(labels, minlength=NUM_CLASSES).astype(np.float64)
    counts = np.maximum(counts, 1.0)
    w = (counts.sum() / (NUM_CLASSES * counts)) ** power
    w = w / np.average(w, weights=counts)
    return {i: float(v) for i, v in enumerate(w)}


def make_dataset(data: LabeledImages, config: TrainConfig, training: bool, weights: dict[int, float] | None):
    import tensorflow as tf

    if training:
        # Loaders return images grouped by class; a bounded shuffle buffer alone would
        # leave each epoch's last batches all one class (and the model biased to it).
        data = data.subset(np.random.default_rng(config.seed).permutation(len(data)))
    tensors = (data.images, data.targets())
    if weights is not None:
        tensors += (np.array([weights[int(c)] for c in data.labels], dtype=np.float32),)
    ds = tf.data.Dataset.from_tensor_slices(tensors)
    # Arrays have no files to split: with several workers each takes its share of every global batch.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.with_options(options)
    if training:
        ds = ds.shuffle(min(len(data), 8192), seed=config.seed, reshuffle_each_iteration=True)
    ds = ds.batch(config.batch_size)
    if training and config.augment:
        from training.augment import make_augmenter

        aug = make_augmenter(config.seed, config.random_erasing, config.augmentation)

        def apply(x, *rest):
            return (aug(tf.cast(x, tf.float32), training=True), *rest)

        ds = ds.map(apply, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
