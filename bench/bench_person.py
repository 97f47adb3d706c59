"""Personal calibration, one person at a time: what it gains on them, what it costs everyone else.

    .venv/bin/python -m bench.bench_person [--scenarios k1 k3 rest one] [--methods shipped ...]

Each performer of ``../shared/data/persons_dev`` plays the user.  Scenarios:

- ``k1``/``k3``: K photos per emotion from ONE way of posing (the way with the
  most emotions; neutral from the neutral takes, leaving one to test), tested on
  all of that performer's other photos;
- ``rest``: the resting face alone (two neutral photos);
- ``one``: one emotion alone (three happy photos of that way): what it costs
  the performer's other emotions.

Methods: ``shipped`` (``personalize`` with today's defaults, as the product runs
it), ``ft`` (a fine-tune with ``--distill`` etc., evaluated at each of
``--mixes``), ``offsets`` (class offsets only), ``head`` (a head on frozen
features), ``rest`` (rest-face offsets, each of ``--margins``).  For each it
prints the mean accuracy on the person before/after, the worst person, recall
per emotion after, seconds per run and the cost to other people: accuracy lost
on a fixed random subset of sfew_dev's detected faces and of FER2013 PublicTest.
Faces are cropped as ``personalize`` crops them (cached, see
``bench.person_data``).  Every personalised model is thrown away: persons_dev
and sfew_dev are for evaluation only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench import person_data
from bench.person_data import NEUTRAL_WAY, Faces, performer, way

SCENARIOS = ("k1", "k3", "rest", "one")
METHODS = ("shipped", "ft", "offsets", "head", "rest")
EMOTION_WAYS = ("11", "21", "31")


def split(faces: Faces, person: str, scenario: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(train, test) indices of one performer's photos for a scenario; None when it does not apply."""
    from training.contract.labels import CLASS_INDEX

    mine = np.array([i for i, p in enumerate(faces.paths) if performer(p) == person])
    ways = [way(faces.paths[i]) for i in mine]
    labels = faces.labels[mine]
    neutral, happy = CLASS_INDEX["neutral"], CLASS_INDEX["happy"]

    def take(emotion: int, way_name: str, k: int, leave: int = 0) -> list[int]:
        found = sorted((faces.paths[i], i) for i, w, c in zip(mine, ways, labels, strict=True)
                       if c == emotion and w == way_name)  # fmt: skip
        return [i for _, i in found[: max(0, min(k, len(found) - leave))]]

    # The way of posing that shows the most emotions (ties: the most photos, then the first).
    chosen = max(EMOTION_WAYS, key=lambda w: (len({c for c, v in zip(labels, ways, strict=True) if v == w}),
                                              ways.count(w), -int(w)))  # fmt: skip
    if scenario in ("k1", "k3"):
        k = int(scenario[1])
        train = [i for c in np.unique(labels) if c != neutral for i in take(c, chosen, k)]
        train += take(neutral, NEUTRAL_WAY, k, leave=1)
    elif scenario == "rest":
        train = take(neutral, NEUTRAL_WAY, 2, leave=1)
        if len(train) < 2:
            return None
    else:
        train = take(happy, chosen, 3) or take(happy, next(w for w in EMOTION_WAYS if w != chosen), 3)
    if not train:
        return None
    train_idx = np.asarray(sorted(train))
    return train_idx, np.setdiff1d(mine, train_idx)


class Evaluator:
    """Probabilities of a model (or of a head on the base's features) on the cached faces."""

    def __init__(self, base, persons: Faces, sfew: Faces, public: Faces) -> None:
        from training.evaluate import predict_probs
        from training.personal_offsets import features, head_weights

        self.base, self.sets = base, {"persons": persons, "sfew": sfew, "public": public}
        self.feats = {name: features(base, s.images) for name, s in self.sets.items()}
        self.kernel, self.bias = head_weights(base)
        self.base_probs = {name: predict_probs(base, s.images) for name, s in self.sets.items()}
        self.reference = None  # the base card's reference features, as ``personalize`` reads them

    def head_probs(self, kernel, bias) -> dict[str, np.ndarray]:
        from training.personal_offsets import log_softmax

        return {name: np.exp(log_softmax(f @ kernel + bias)) for name, f in self.feats.items()}

    def model_probs(self, model, person_idx: np.ndarray) -> dict[str, np.ndarray]:
        from training.evaluate import predict_probs

        probs = {name: predict_probs(model, s.images) for name, s in self.sets.items() if name != "persons"}
        full = np.full_like(self.base_probs["persons"], np.nan)
        full[person_idx] = predict_probs(model, self.sets["persons"].images[person_idx])
        probs["persons"] = full
        return probs

    def accuracy(self, probs: dict[str, np.ndarray], name: str, idx: np.ndarray | None = None) -> float:
        labels = self.sets[name].labels
        idx = np.arange(len(labels)) if idx is None else idx
        return float(np.mean(probs[name][idx].argmax(1) == labels[idx])) if len(idx) else float("nan")


def run_methods(ev: Evaluator, method: str, train: np.ndarray, test: np.ndarray, args) -> list[tuple]:
    """[(variant, probs, seconds)] for one method on one person's split."""
    from training.config import PersonalizeSettings
    from training.personal_offsets import fit_head, reference_offsets, rest_face_calibration
    from training.personalize import mix_weights, personalize_model

    persons = ev.sets["persons"]
    x, y = persons.images[train], persons.labels[train]
    started = time.monotonic()
    if method == "shipped":
        from training.personalize import calibrate

        result = calibrate(ev.base, x, y, PersonalizeSettings(), reference=ev.reference)
        return [(result.method, ev.model_probs(result.model, np.union1d(train, test)), result.wall_time_s)]
    if method == "ft":
        settings = PersonalizeSettings(mix=1.0, distill_weight=args.distill, steps=args.steps,
                                       learning_rate=args.lr)  # fmt: skip
        result = personalize_model(ev.base, x, y, settings)
        tuned, base_w, out = result.model.get_weights(), ev.base.get_weights(), []
        for mix in args.mixes:
            result.model.set_weights(mix_weights(base_w, tuned, mix))
            probs = ev.model_probs(result.model, np.union1d(train, test))
            out.append((f"mix {mix:g}", probs, result.wall_time_s))
        return out
    feats = np.concatenate([ev.feats["persons"][train], _mirror_feats(ev, x)])
    labels = np.concatenate([y, y])
    if method in ("offsets", "head"):
        out = []
        for l2 in args.l2:
            kernel, bias = fit_head(feats, labels, ev.kernel, ev.bias, l2, bias_only=method == "offsets")
            out.append((f"l2 {l2:g}", ev.head_probs(kernel, bias), time.monotonic() - started))
        return out
    references = [("", None)] + ([("reference, ", ev.reference)] if ev.reference is not None else [])
    out = [(f"{name}margin {m:g}",
            ev.head_probs(ev.kernel, ev.bias + rest_face_calibration(feats, ev.kernel, ev.bias, m, ref)),
            time.monotonic() - started) for name, ref in references for m in args.margins]  # fmt: skip
    if ev.reference is not None:
        moved = reference_offsets(feats, ev.reference, ev.kernel)
        out.append(("reference alone", ev.head_probs(ev.kernel, ev.bias + moved), time.monotonic() - started))
    return out


def _mirror_feats(ev: Evaluator, x: np.ndarray) -> np.ndarray:
    from training.personal_offsets import features

    return features(ev.base, np.ascontiguousarray(x[:, :, ::-1]))


def summarise(ev: Evaluator, rows: list[dict], scenario: str) -> dict:
    """One table row from the per-person records of one (scenario, method, variant)."""
    from training.contract.labels import CLASS_INDEX, CLASS_NAMES

    before = np.array([r["before"] for r in rows])
    after = np.array([r["after"] for r in rows])
    worst = int(np.argmin(after - before))
    pred = np.concatenate([r["pred"] for r in rows])
    true = np.concatenate([r["true"] for r in rows])
    recall = {CLASS_NAMES[c]: round(float(np.mean(pred[true == c] == c)), 2) for c in np.unique(true)}
    out = {
        "persons": len(rows), "before": before.mean(), "after": after.mean(),
        "worst": f"{rows[worst]['person']} {before[worst]:.0%}->{after[worst]:.0%}",
        "min_after": after.min(), "recall": recall,
        "sfew_cost": np.mean([r["sfew_cost"] for r in rows]),
        "public_cost": np.mean([r["public_cost"] for r in rows]),
        "seconds": float(np.median([r["seconds"] for r in rows])),
    }  # fmt: skip
    if scenario == "one":
        other = np.array([r["other_after"] - r["other_before"] for r in rows])
        out["others_emotions"] = f"{np.mean(other):+.1%} (worst {other.min():+.1%})"
        out["neutral_said"] = float(np.mean(pred == CLASS_INDEX["neutral"]))
    if scenario == "rest":
        out["neutral_said"] = float(np.mean(pred == CLASS_INDEX["neutral"]))
    return out


def main(argv: list[str] | None = None) -> int:
    from training.config import PersonalizeSettings

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="base model (default: the shipped model)")
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=["shipped"])
    parser.add_argument("--persons", type=int, help="only the first N performers")
    parser.add_argument("--sfew-n", type=int, default=300, help="sfew_dev faces for the cost to others")
    parser.add_argument("--public-n", type=int, default=500, help="PublicTest images for the cost to others")
    parser.add_argument("--mixes", type=float, nargs="+", default=[1.0, 0.5])
    shipped = PersonalizeSettings()  # the ``ft`` method's defaults: today's full-strength fine-tune
    parser.add_argument("--distill", type=float, default=shipped.full_strength_distill)
    parser.add_argument("--steps", type=int, default=shipped.steps)
    parser.add_argument("--lr", type=float, default=shipped.learning_rate)
    parser.add_argument("--l2", type=float, nargs="+", default=[0.01, 0.1])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    parser.add_argument("--cache", default="/tmp/person-cache", help="where the face crops are cached")
    parser.add_argument("--persons-dir", default=str(person_data.DATA / "persons_dev"))
    parser.add_argument("--jsonl", help="also write every per-person record here")
    args = parser.parse_args(argv)

    from fer_desktop.paths import default_model_path
    from training.contract.model_card import read_card
    from training.model import load_model
    from training.reference_features import reference_mean

    cache = Path(args.cache)
    base_path = Path(args.model) if args.model else default_model_path()
    persons = person_data.persons(cache, Path(args.persons_dir))
    sfew = person_data.sfew_subset(cache, args.sfew_n)
    public = person_data.public_subset(cache, args.public_n)
    ev = Evaluator(load_model(base_path), persons, sfew, public)
    ev.reference = reference_mean(read_card(base_path), ev.kernel.shape[0])
    base_sfew, base_public = ev.accuracy(ev.base_probs, "sfew"), ev.accuracy(ev.base_probs, "public")
    people = sorted({performer(p) for p in persons.paths})[: args.persons]
    print(f"base {base_path.name}: sfew_dev {len(sfew.labels)} faces {base_sfew:.1%}, PublicTest "
          f"{len(public.labels)} images {base_public:.1%}; {len(people)} performers", flush=True)  # fmt: skip
    records: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    sink = open(args.jsonl, "a") if args.jsonl else None  # noqa: SIM115 (closed below)
    for scenario in args.scenarios:
        for person in people:
            parts = split(persons, person, scenario)
            if parts is None:
                continue
            train, test = parts
            labels = persons.labels
            given = np.unique(labels[train])
            other_test = test[~np.isin(labels[test], given)]
            for method in args.methods:
                for variant, probs, seconds in run_methods(ev, method, train, test, args):
                    record = {
                        "scenario": scenario, "method": method, "variant": variant, "person": person,
                        "train": len(train), "test": len(test), "seconds": round(seconds, 2),
                        "before": ev.accuracy(ev.base_probs, "persons", test),
                        "after": ev.accuracy(probs, "persons", test),
                        "other_before": ev.accuracy(ev.base_probs, "persons", other_test),
                        "other_after": ev.accuracy(probs, "persons", other_test),
                        "sfew_cost": base_sfew - ev.accuracy(probs, "sfew"),
                        "public_cost": base_public - ev.accuracy(probs, "public"),
                    }  # fmt: skip
                    print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in record.items()), flush=True)  # fmt: skip
                    if sink:
                        sink.write(json.dumps(record) + "\n")
                        sink.flush()
                    record.update(pred=probs["persons"][test].argmax(1), true=labels[test])
                    records[(scenario, method, variant)].append(record)
    if sink:
        sink.close()
    print_table(ev, records)
    return 0


def print_table(ev: Evaluator, records: dict[tuple[str, str, str], list[dict]]) -> None:
    print()
    print("| scenario | method | persons | on the person before → after | worst person | "
          "sfew_dev cost | PublicTest cost | s/run | notes |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for (scenario, method, variant), rows in records.items():
        s = summarise(ev, rows, scenario)
        notes = []
        if "others_emotions" in s:
            notes.append(f"other emotions {s['others_emotions']}")
        if "neutral_said" in s:
            notes.append(f"says neutral {s['neutral_said']:.0%}")
        notes.append("recall " + ", ".join(f"{k} {v:.2f}" for k, v in s["recall"].items()))
        print(f"| {scenario} | {method} {variant} | {s['persons']} | "
              f"{s['before']:.1%} → **{s['after']:.1%}** | "
              f"{s['worst']} | {100 * s['sfew_cost']:+.1f} | {100 * s['public_cost']:+.1f} | "
              f"{s['seconds']:.1f} | {'; '.join(notes)} |")  # fmt: skip


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"total {time.monotonic() - started:.0f} s", file=sys.stderr)
    raise SystemExit(code)
