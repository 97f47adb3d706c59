"""The settings of a training run and of a personal fine-tune, and their defaults.

The one place these defaults are stated: ``fer-desktop train`` and ``personalize`` build
their options from these fields, the Train tab its controls, so none can disagree.
Stdlib only, so that ``--help`` stays instant.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class TrainConfig:
    data: str
    out: str
    extra_data: list[str] = field(default_factory=list)
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    width: int = 24
    init: str | None = None
    seed: int = 1234
    patience: int = 8
    max_minutes: float | None = None
    label_smoothing: float = 0.1
    class_weight_power: float = 0.5
    val_fraction: float = 0.15
    exclude_test_overlap: bool = True
    on_error: str = "raise"
    augment: bool = True
    random_erasing: float = 0.0  # share of training images with one random rectangle replaced by noise
    augmentation: str = "basic"  # or "app": lighting, resolution, noise and wider framing jitter
    labels: str = "fer2013"  # or "ferplus-majority" / "ferplus-soft" / "mixed" (training split only)
    ferplus_weight: float = 0.5  # with labels="mixed": FER+ votes' share of each target
    ferplus: str | None = None  # fer2013new.csv
    manifest: str | None = None  # path -> fer_row table for the Kaggle folder layout
    force_holdout: bool = False  # validate on val_fraction of each class even if the data has its own split
    arch: str = "vgg"  # a new model's architecture, one of training.architectures.ARCHITECTURES
    backbone_weights: str | None = None  # local weights file for the efficientnetb2 body
    teachers: list[str] = field(default_factory=list)  # models whose mean prediction joins the targets
    teacher_weight: float = 0.5  # the teachers' share of each training target


#: Where the Train tab's controls start: a run a person waits for at the desk, by default a
#: fine-tune of the current model (fewer epochs, smaller batches, a gentler rate than a
#: command-line run from scratch). Every other control starts at TrainConfig's own default.
TRAIN_TAB_START: dict[str, Any] = {"epochs": 10, "batch_size": 64, "learning_rate": 5e-4}


def train_tab_defaults() -> TrainConfig:
    """The Train tab's starting config: TrainConfig's defaults with :data:`TRAIN_TAB_START` over them."""
    return TrainConfig(data="", out="", **TRAIN_TAB_START)


#: ``PersonalizeSettings.method`` choices: "auto" calibrates on the resting face when every
#: photo is neutral and fine-tunes otherwise.
PERSONALIZE_METHODS = ("auto", "fine-tune", "rest-face")


@dataclass
class PersonalizeSettings:
    steps: int = 60
    learning_rate: float = 1e-4
    layers: str = "all"  # "all": every weight; "bn_head": batch-norm scales/offsets and the last layer
    freeze_bn_stats: bool = True  # keep the base's batch-norm statistics (see the module docstring)
    # Chosen one person at a time (docs/experiments/2026-12-03-person-calibration.md and
    # 2026-12-06-rest-face-reference.md): with photos of fewer emotions than full strength, a term
    # that keeps the base's outputs on augmented copies (this weight) and a partial mix; at full
    # strength the fine-tune is the person's alone (full_strength_distill).
    distill_weight: float = 0.3
    full_strength_distill: float = 0.0
    distill_erasing: float = 0.5  # share of the distillation copies with a random rectangle erased
    label_smoothing: float = 0.1
    mix: float = 1.0  # share of the fine-tuned weights in the result, the rest the base's (WiSE-FT style)
    batch_size: int = 32  # photos and mirrors per step (all of them when fewer: full batch)
    seed: int = 1234
    method: str = "auto"  # one of PERSONALIZE_METHODS
    # The mix above is reached with photos of this many emotions or more; with fewer, the mix
    # shrinks in proportion (one emotion alone: a quarter of the way), so that a single
    # emotion barely moves the model on the emotions it was not shown.
    full_strength_emotions: int = 4
    rest_margin: float = 1.0  # rest-face: the lead (in logits) neutral keeps on the resting face

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def mix_for(self, emotions_given: int) -> float:
        """The share of the fine-tuned weights kept for photos of ``emotions_given`` emotions."""
        return self.mix * min(1.0, emotions_given / max(1, self.full_strength_emotions))

    def distill_for(self, emotions_given: int) -> float:
        """The distillation weight for photos of ``emotions_given`` emotions: the base's outputs
        are kept where the photos cover only some emotions, not where they cover the face."""
        full = emotions_given >= self.full_strength_emotions
        return self.full_strength_distill if full else self.distill_weight
