"""Write the training set of the shipped recipe as compact arrays for a machine without TensorFlow.

The GPU machine (``scripts/gpu/train_jax.py``) has JAX but no TensorFlow and no access to
``../shared``: it gets FER2013's 48x48 originals (a quarter of the 96x96 model input's
pixels) with the exact targets ``train`` would use (same split, overlap removal and FER+
blend, all from ``training.data_prep.prepare_data``), and rebuilds the model input with the same
``cv2.resize`` that ``to_model_input`` applies.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from scripts.gpu.mosaic import write_mosaic
from training.config import TrainConfig
from training.contract.preprocess import to_model_input
from training.data_prep import prepare_data


def grey48(paths: list[str]) -> np.ndarray:
    """The original grey pixels of each FER2013 file."""
    out = np.empty((len(paths), 48, 48), dtype=np.uint8)
    for i, p in enumerate(paths):
        img = cv2.imread(p, cv2.IMREAD_GRAYSCALE)
        if img is None or img.shape != (48, 48):
            raise ValueError(f"{p}: not a 48x48 grey image")
        out[i] = img
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default="../shared/data/fer2013")
    ap.add_argument("--ferplus", default="../shared/data/ferplus/fer2013new.csv")
    ap.add_argument("--ferplus-weight", type=float, default=0.25)
    ap.add_argument("--out", type=Path, required=True, help="folder for train.webp, val.webp, targets.npz")
    ap.add_argument("--val-images", type=int, default=1000)
    args = ap.parse_args()
    config = TrainConfig(
        data=args.data, out="", labels="mixed", ferplus=args.ferplus, ferplus_weight=args.ferplus_weight
    )
    data = prepare_data(config)
    # A sample of PublicTest is enough to watch a run; the figures that count are measured later.
    val = data.val.subset(np.random.default_rng(0).permutation(len(data.val))[: args.val_images])
    args.out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", data.train), ("val", val)):
        x = grey48(part.paths)
        # The device rebuilds the model input from these pixels: it must be the very same input.
        for i in np.linspace(0, len(x) - 1, 50).astype(int):
            if not np.array_equal(to_model_input(x[i]), part.images[i]):
                raise AssertionError(f"{part.paths[i]}: 48x48 pixels do not rebuild the model input")
        write_mosaic(x, args.out / f"{name}.webp")
    np.savez_compressed(
        args.out / "targets.npz",
        n_train=len(data.train),
        y_train=data.train.targets().astype(np.float32),
        label_train=data.train.labels.astype(np.int8),
        n_val=len(val),
        label_val=val.labels.astype(np.int8),
    )
    total = sum(p.stat().st_size for p in args.out.iterdir())
    print(
        f"{len(data.train)} training and {len(val)} validation images, {total / 2**20:.1f} MiB in {args.out}"
    )


if __name__ == "__main__":
    main()
