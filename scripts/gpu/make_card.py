"""Write the model card of a model trained by ``train_jax.py`` on the GPU machine.

``fer-desktop train`` writes its card itself; a model trained elsewhere gets the same card
here, on the machine with the data: the recipe (in ``training.config.TrainConfig``'s keys, so
every card reads alike, plus the exact command), the training set's fingerprint, the
figures on FER2013 (PublicTest, PrivateTest, PrivateTest with TTA), the float and int8
TFLite copies (the int8 one calibrated on its training images) and its reference features
(for the rest-face calibration), as training writes them.  The run's own facts (epochs,
steps, wall time, the device) come from its log.  Reports on faces the model was not
trained for join the card as for any model: ``fer-desktop eval --json``, then
``python -m training.card MODEL --evaluation NAME=REPORT.json``.

    PYTHONPATH=. .venv/bin/python scripts/gpu/make_card.py RUN/skd.keras --log RUN/skd.log \
        --teacher-log RUN/t1.log --teacher-log RUN/t2.log --command "..." --device "NVIDIA H100"
"""

from __future__ import annotations

import argparse
import json
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from training.card import hardware_description, write_card
from training.config import TrainConfig
from training.contract.labels import CLASS_NAMES
from training.contract.preprocess import preprocessing_record
from training.data_prep import class_weights, prepare_data
from training.fit import evaluate_model
from training.reference_features import CARD_KEY, reference_record
from training.run_card import data_record

DATA = Path("../shared/data")  # beside the repository, as every command of the README runs from its root
FINAL = re.compile(
    r"^(?P<name>\S+): (?P<epochs>\d+) epochs, (?P<steps>\d+) steps, val (?P<val>[\d.]+)"
    r"(?:, (?P<total>\d+) s total)?$"
)
ARGS = re.compile(r"^\S+ args: (?P<json>\{.*\})$")
EPOCH = re.compile(
    r"^\S+ epoch (?P<epoch>\d+) lr \S+ loss (?P<loss>[\d.]+) val (?P<val>[\d.]+) "
    r".*, (?P<total>\d+) s total\)$"
)
HEADER = re.compile(
    r"^(?P<name>\S+): (?P<params>[\d,]+) params, (?P<images>\d+) images, (?P<teachers>\d+) teachers$"
)


def read_log(path: Path) -> dict[str, Any]:
    """What a train_jax.py log says of its run: size, epochs, steps, time, watched accuracy."""
    run: dict[str, Any] = {"log": path.name, "watched": []}
    for line in path.read_text().splitlines():
        if m := HEADER.match(line):
            run.update(params=int(m["params"].replace(",", "")), images=int(m["images"]))
        elif m := EPOCH.match(line):
            run["watched"].append([int(m["epoch"]), float(m["loss"]), float(m["val"])])
            run["wall_time_s"] = float(m["total"])
        elif m := ARGS.match(line):
            run["args"] = json.loads(m["json"])
        elif m := FINAL.match(line):
            if m["name"].endswith("_ema"):
                run["ema_val"] = float(m["val"])
                continue
            run.update(epochs_run=int(m["epochs"]), steps_run=int(m["steps"]), final_val=float(m["val"]))
            if m["total"]:
                run["wall_time_s"] = float(m["total"])
    if "epochs_run" not in run:
        raise ValueError(f"{path}: no final line; the run did not finish")
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--log", type=Path, required=True, help="the model's train_jax.py log")
    ap.add_argument("--teacher-log", type=Path, action="append", default=[])
    ap.add_argument("--command", required=True, help="the train_jax.py command line that made the model")
    ap.add_argument("--device", required=True, help="the GPU it ran on, e.g. 'NVIDIA H100 80GB HBM3'")
    ap.add_argument("--software", default="", help="e.g. 'jax 0.11.2, keras 3.15.1, optax 0.2.8'")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--ferplus-weight", type=float, default=0.25)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--teacher-weight", type=float, default=0.5)
    args = ap.parse_args()

    from training.model import load_model
    from training.tflite import write_tflite

    config = TrainConfig(
        data=str(args.data / "fer2013"),
        out=str(args.model.parent),
        epochs=0,  # set from the log below: the run was budgeted by time
        batch_size=256,
        learning_rate=3e-3,
        weight_decay=0.004,
        width=args.width,
        seed=args.seed,
        label_smoothing=0.1,
        class_weight_power=0.5,
        augmentation="app",
        random_erasing=0.25,
        labels="mixed",
        ferplus_weight=args.ferplus_weight,
        ferplus=str(args.data / "ferplus" / "fer2013new.csv"),
        teacher_weight=args.teacher_weight,
    )
    run = read_log(args.log)
    config.epochs = run["epochs_run"]
    logged = run.get("args", {})  # logs from before the args line: the defaults they ran with
    config.batch_size = logged.get("batch_size", config.batch_size)
    config.learning_rate = logged.get("lr", config.learning_rate)
    config.weight_decay = logged.get("weight_decay", config.weight_decay)
    config.class_weight_power = logged.get("class_weight_power", config.class_weight_power)
    config.width = logged.get("width", config.width)
    config.seed = logged.get("seed", config.seed)
    config.teacher_weight = logged.get("teacher_weight", config.teacher_weight)
    data = prepare_data(config)
    # Named after the data are prepared: prepare_data would load them for offline distillation.
    config.teachers = [f"{t.stem}_ema.keras (on the GPU machine)" for t in args.teacher_log]
    model = load_model(args.model)
    evaluation, _ = evaluate_model(model, data, None)
    teachers = [read_log(t) for t in args.teacher_log]
    weights = class_weights(data.train.labels, config.class_weight_power)
    card = {
        "name": args.model.stem,
        "path": str(args.model),
        "class_names": list(CLASS_NAMES),
        "input_shape": [int(d) for d in model.input_shape[1:]],
        "architecture": model.name,
        "params": int(model.count_params()),
        "config": {
            **asdict(config),
            "trainer": "scripts/gpu/train_jax.py (Keras 3 on JAX)",
            "command": args.command,
            "schedule": "AdamW; one warm-up epoch at 10% of the peak rate, then a cosine over the time left",
            "online_distillation": bool(teachers),
            "label_smoothing_applies_to": "the label part of each target, before the teachers' share",
        },
        "init": None,
        "teachers": [
            {
                "log": t["log"],
                "params": t.get("params"),
                "epochs_run": t["epochs_run"],
                "final_val": t["final_val"],
                "weight_average_val": t.get("ema_val"),
            }
            for t in teachers
        ],
        "lineage": [
            f"teacher {t['log'].removesuffix('.log')}: {t.get('params'):,} parameters, trained alongside "
            f"on the same GPU with the same recipe, {t['epochs_run']} epochs; its weight average taught "
            f"(1000 PublicTest images: {t.get('ema_val', t['final_val']):.3f})"
            for t in teachers
        ],
        "data": data_record(data),
        "training": {
            "epochs_run": run["epochs_run"],
            "steps_run": run["steps_run"],
            "stopped_by_user": False,
            "best_epoch": run["epochs_run"],  # the last epoch is kept: no selection on validation
            "best_val_accuracy": evaluation["val"]["accuracy"],
            "wall_time_s": run.get("wall_time_s"),
            "watched_on_1000_publictest_images": run["watched"],
            "class_weights": {CLASS_NAMES[i]: round(w, 3) for i, w in weights.items()},
        },
        "hardware": {
            "trained_on": args.device,
            "software": args.software,
            "evaluated_on": hardware_description(),
        },
        "evaluation": evaluation,
        "baseline": None,
        "tflite": write_tflite(model, args.model, data.train.images, f"training images ({data.source})"),
        CARD_KEY: reference_record(model, data.train.images, f"training images ({data.source})"),
        "preprocessing": preprocessing_record(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_card(args.model, card)
    for name, report in evaluation.items():
        print(f"{name}: accuracy {report['accuracy']:.4f} (n={report['n']})")


if __name__ == "__main__":
    main()
