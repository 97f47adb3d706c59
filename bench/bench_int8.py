"""The int8 copy against the float model: accuracy on the same inputs, agreement, and speed.

    .venv/bin/python -m bench.bench_int8 [--model assets/models/fer_default.keras] [--rounds 5]

Every input goes through each runtime the app can use for the model: TensorFlow on the
``.keras`` file, LiteRT on the float TFLite copy and on the int8 copy (and MediaPipe's
TFLite runtime on both copies, for comparison).  Rows: accuracy on FER2013 PrivateTest
(single crop), sfew_dev crops, sfew_dev and persons_dev end to end (``--detect``: faces
found and cropped as ``fer-desktop label`` does; a photo without a face is wrong);
the int8 copy's agreement with the Keras model (same emotion; largest probability
difference); and the per-face time of each runtime (median of single-face calls,
measured in interleaved rounds so the machine's load falls on all alike).
Data default to ``../shared/data`` beside the repository.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def load_sets(data: Path):
    from fer_desktop.labelling.detected_faces import detect_labelled_faces
    from fer_desktop.pipeline.faces import FaceDetector
    from training import datasets

    sets = {
        "FER2013 PrivateTest": (datasets.load_any(data / "fer2013", "private"), 0),
        "sfew_dev crops": (datasets.load_any(data / "sfew_dev", "all"), 0),
    }
    with FaceDetector() as detector:
        for name in ("sfew_dev", "persons_dev"):
            if (data / name).is_dir():
                detected = detect_labelled_faces(data / name, "all", detector)
                sets[f"{name} --detect"] = (detected.faces, int(detected.no_face.sum()))
    return sets


def runtimes(model: Path) -> dict:
    from fer_desktop.models.classifier import KerasClassifier, LiteClassifier, LiteRTClassifier
    from training.contract.tflite_copy import int8_path, tflite_path

    return {
        "keras (TensorFlow)": KerasClassifier(model),
        "float copy (LiteRT)": LiteRTClassifier(model, tflite_path(model)),
        "int8 copy (LiteRT)": LiteRTClassifier(model, int8_path(model)),
        "float copy (MediaPipe)": LiteClassifier(model, tflite_path(model)),
        "int8 copy (MediaPipe)": LiteClassifier(model, int8_path(model)),
    }


def per_face_ms(classifiers: dict, face: np.ndarray, rounds: int, calls: int = 100) -> dict[str, list[float]]:
    batch = face[None]
    times: dict[str, list[float]] = {k: [] for k in classifiers}
    for _ in range(rounds):
        for name, c in classifiers.items():
            for _ in range(10):
                c.predict_batch(batch)
            one = []
            for _ in range(calls):
                start = time.perf_counter()
                c.predict_batch(batch)
                one.append(time.perf_counter() - start)
            times[name].append(statistics.median(one) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=ROOT / "assets" / "models" / "fer_default.keras")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="holds fer2013/, sfew_dev/, persons_dev/"
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds of 100 calls")
    args = parser.parse_args()

    sets = load_sets(args.data)
    classifiers = runtimes(args.model)
    accuracy_names = ["keras (TensorFlow)", "float copy (LiteRT)", "int8 copy (LiteRT)"]
    print(
        f"{'':28s}" + "".join(f"{n:>22s}" for n in accuracy_names) + f"{'int8 agrees':>14s}{'max |dp|':>10s}"
    )
    for set_name, (data, no_face) in sets.items():
        probs = {n: classifiers[n].predict_batch(data.images) for n in accuracy_names}
        total = len(data) + no_face
        accs = [f"{(p.argmax(1) == data.labels).sum() / total:.2%}" for p in probs.values()]
        keras, int8 = probs["keras (TensorFlow)"], probs["int8 copy (LiteRT)"]
        agree = (keras.argmax(1) == int8.argmax(1)).mean()
        diff = np.abs(keras - int8).max()
        print(
            f"{set_name + f' (n={total})':28s}"
            + "".join(f"{a:>22s}" for a in accs)
            + f"{agree:>14.2%}{diff:>10.3f}"
        )
    face = sets["FER2013 PrivateTest"][0].images[0]
    times = per_face_ms(classifiers, face, args.rounds)
    print("\nper-face inference, median of rounds (ms):")
    for name, ts in times.items():
        print(f"  {name:24s} {statistics.median(ts):6.2f}   rounds {' '.join(f'{t:.2f}' for t in ts)}")
    for c in classifiers.values():
        c.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
