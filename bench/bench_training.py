"""Training throughput (images/s) of the default recipe on this machine.

    .venv/bin/python -m bench.bench_training [--width 24] [--batch-size 128] [--steps 30]
        [--arch efficientnetb2]

Runs the real training input pipeline (augmentation included) and the real
model/optimiser from ``training.fit`` on FER2013-sized inputs, and prints the
median images/s over several timed windows after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--arch", default="vgg", help="vgg (default) or efficientnetb2")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10, help="steps per timed window")
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--no-augment", action="store_true")
    args = parser.parse_args()

    import keras
    import numpy as np

    from training.config import TrainConfig
    from training.contract.preprocess import INPUT_SHAPE
    from training.data_prep import make_dataset
    from training.datasets import LabeledImages
    from training.fit import build_model

    n = args.batch_size * args.steps
    rng = np.random.default_rng(0)
    data = LabeledImages(rng.integers(0, 256, (n, *INPUT_SHAPE), dtype=np.uint8), rng.integers(0, 7, n))
    config = TrainConfig(
        data="",
        out="",
        width=args.width,
        batch_size=args.batch_size,
        augment=not args.no_augment,
        arch=args.arch,
    )
    ds = make_dataset(data, config, training=True, weights=None).repeat()
    model = build_model(config, steps_per_epoch=args.steps)

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []

            self.cpu: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.cpu_start = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)
            self.cpu.append(time.process_time() - self.cpu_start)

    timer = Timer()
    model.fit(ds, steps_per_epoch=args.steps, epochs=args.windows + 1, callbacks=[timer], verbose=0)
    rates = [n / t for t in timer.times[1:]]  # the first window includes tracing
    print(
        f"model {model.name}, {model.count_params()} parameters, batch {args.batch_size}, "
        f"augment {not args.no_augment}"
    )
    print("windows (images/s): " + ", ".join(f"{r:.0f}" for r in rates))
    median = statistics.median(rates)
    # CPU time is less sensitive than wall time to other processes sharing the machine.
    cpu_ms = statistics.median([c / n for c in timer.cpu[1:]]) * 1000
    print(
        f"median CPU time: {cpu_ms:.1f} ms per image, all threads "
        f"({28709 * cpu_ms / 6e4:.0f} CPU-minutes per FER2013 training epoch)"
    )
    print(
        f"median training throughput: {median:.0f} images/s "
        f"({28709 / median / 60:.1f} min per FER2013 training epoch)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
