"""The training package on small data the tests make."""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest

from training import datasets
from training.contract.labels import CLASS_NAMES, NUM_CLASSES
from training.datasets import DatasetError


def _face_like(label: int, seed: int) -> np.ndarray:
    """48x48 grayscale image whose pattern depends on the label (learnable)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 60, (48, 48)).astype(np.uint8)
    img[:, label * 6 : label * 6 + 8] = 230
    return img


@pytest.fixture
def kaggle_tree(tmp_path):
    root = tmp_path / "fer2013"
    for split, prefixes in (("train", ["Training"]), ("test", ["PublicTest", "PrivateTest"])):
        for label, name in enumerate(CLASS_NAMES):
            d = root / split / name
            d.mkdir(parents=True)
            for prefix in prefixes:
                for i in range(4):
                    cv2.imwrite(
                        str(d / f"{prefix}_{label}{i}{len(prefix)}.jpg"), _face_like(label, label * 100 + i)
                    )
    return root


def test_kaggle_layout_splits_by_file_name(kaggle_tree):
    train = datasets.load_kaggle_folders(kaggle_tree, "train")
    public = datasets.load_kaggle_folders(kaggle_tree, "public")
    test = datasets.load_kaggle_folders(kaggle_tree, "test")
    assert len(train) == 28 and len(public) == 28 and len(test) == 56
    assert train.images.shape == (28, 96, 96, 3)
    assert all("PublicTest_" in p for p in public.paths)
    assert train.class_counts() == dict.fromkeys(CLASS_NAMES, 4)


def test_unknown_class_folder_raises_or_skips(kaggle_tree):
    (kaggle_tree / "train" / "contempt").mkdir()
    with pytest.raises(DatasetError, match="contempt"):
        datasets.load_kaggle_folders(kaggle_tree, "train")
    assert len(datasets.load_kaggle_folders(kaggle_tree, "train", on_error="skip")) == 28


def test_unreadable_image_raises_with_path_or_is_counted(kaggle_tree):
    bad = kaggle_tree / "train" / "happy" / "Training_broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(DatasetError, match=r"Training_broken\.jpg"):
        datasets.load_kaggle_folders(kaggle_tree, "train")
    data = datasets.load_kaggle_folders(kaggle_tree, "train", on_error="skip")
    assert len(data) == 28 and [s[0] for s in data.skipped] == [str(bad)]


def test_class_folders_accept_aliases(tmp_path):
    for name in ("happiness", "anger", "neutral"):
        (tmp_path / name).mkdir()
        cv2.imwrite(str(tmp_path / name / "a.png"), _face_like(1, 1))
    data = datasets.load_class_folders(tmp_path)
    assert data.class_counts()["happy"] == 1 and data.class_counts()["angry"] == 1
    with pytest.raises(DatasetError, match="no images for class"):
        datasets.check_usable(data, "tiny")


def _csv_row(label, pixels, usage="Training"):
    return f"{label},{' '.join(map(str, pixels))},{usage}\n"


def test_fer2013_csv_reports_file_and_line(tmp_path):
    good = _face_like(3, 3).ravel()
    path = tmp_path / "fer2013.csv"
    path.write_text(
        "emotion,pixels,Usage\n"
        + _csv_row(3, good)
        + _csv_row(3, good[:100])  # line 3: wrong pixel count
        + _csv_row(9, good)  # line 4: label out of range
        + _csv_row(5, good, "PublicTest")
    )
    with pytest.raises(DatasetError, match=r"fer2013.csv:3: expected 2304 pixels, found 100"):
        datasets.load_fer2013_csv(path, "train")
    data = datasets.load_fer2013_csv(path, "train", on_error="skip")
    assert len(data) == 1 and len(data.skipped) == 2
    assert "fer2013.csv:4" in data.skipped[1][0]
    assert len(datasets.load_fer2013_csv(path, "public")) == 1


def test_empty_dataset_is_refused(tmp_path):
    (tmp_path / "happy").mkdir()
    with pytest.raises(DatasetError, match="no usable images"):
        datasets.check_usable(datasets.load_class_folders(tmp_path), "empty")


def test_remove_overlap_drops_test_duplicates(kaggle_tree):
    from training.data_prep import remove_overlap

    train = datasets.load_kaggle_folders(kaggle_tree, "train")
    public = datasets.load_kaggle_folders(kaggle_tree, "public")  # same pixels as train (same seeds)
    kept, removed = remove_overlap(train, public)
    assert removed == 28 and len(kept) == 0


def test_a_few_steps_lower_the_loss_and_round_trip(tmp_path, kaggle_tree):
    import keras

    from training.evaluate import predict_probs
    from training.model import load_model, make_model

    keras.utils.set_random_seed(0)
    data = datasets.load_kaggle_folders(kaggle_tree, "train")
    model = make_model(width=8)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    x, y = data.images.astype("float32"), data.labels
    history = model.fit(x, y, epochs=8, batch_size=14, verbose=0, shuffle=True).history["loss"]
    assert history[-1] < 0.8 * history[0]
    path = tmp_path / "m.keras"
    model.save(path)
    again = load_model(path)
    np.testing.assert_allclose(
        predict_probs(model, data.images), predict_probs(again, data.images), atol=1e-6
    )


def test_train_then_eval_cli_writes_the_json_contract(tmp_path, kaggle_tree, capsys):
    from fer_desktop.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                str(kaggle_tree),
                "--epochs",
                "2",
                "--batch-size",
                "16",
                "--width",
                "8",
                "--out",
                str(out),
                "--keep-test-duplicates",
                "--random-erasing",
                "0.3",
            ]
        )
        == 0
    )
    model = out / "model.keras"
    card = json.loads((out / "model.card.json").read_text())
    assert card["class_names"] == list(CLASS_NAMES)
    assert card["training"]["epochs_run"] == 2
    assert {"val", "private", "private_tta"} <= set(card["evaluation"])
    assert len(card["data"]["fingerprint"]) == 16 and card["config"]["seed"] == 1234
    assert card["config"]["random_erasing"] == 0.3
    assert card["init"] is None
    assert (out / "model.card.md").read_text().startswith("# Model card")
    # One file set: the best-epoch checkpoint lived outside the model folder.
    assert sorted(f.name for f in out.iterdir()) == [
        "history.csv", "model.card.json", "model.card.md", "model.int8.tflite", "model.keras", "model.tflite",
    ]  # fmt: skip
    int8 = card["tflite"]["int8"]  # calibrated on its own training images
    assert int8["file"] == "model.int8.tflite" and int8["keras_sha256"] == card["tflite"]["keras_sha256"]
    assert (
        int8["calibration"]["source"].startswith("training images") and int8["calibration"]["images"] == 300
    )
    # The reference face the rest-face calibration compares a user's resting face with.
    from training.reference_features import reference_mean

    reference = card["reference_features"]
    assert reference["source"].startswith("training images") and reference["images"] > 0
    from training.model import load_model

    width = int(load_model(model).layers[-1].input.shape[-1])  # what the last layer weighs
    assert reference_mean(card, width).shape == (width,) and reference_mean(card, width + 1) is None

    warm = tmp_path / "warm"
    args = ["train", "--data", str(kaggle_tree), "--epochs", "1", "--batch-size", "16"]
    assert main([*args, "--keep-test-duplicates", "--init", str(model), "--out", str(warm)]) == 0
    warm_card = json.loads((warm / "model.card.json").read_text())
    assert warm_card["init"] == {"path": str(model), "sha256": hashlib.sha256(model.read_bytes()).hexdigest()}

    from training.export import export_model

    shipped = tmp_path / "assets" / "fer_default.keras"
    export_model(model, shipped)
    shipped_card = json.loads(shipped.with_name("fer_default.card.json").read_text())
    assert shipped_card["path"] == str(shipped) and shipped_card["trained_as"] == str(model)
    assert shipped_card["file"]["bytes"] == shipped.stat().st_size == model.stat().st_size
    assert shipped_card["evaluation"] == card["evaluation"]

    report_path = tmp_path / "eval.json"
    assert (
        main(
            [
                "eval",
                "--data",
                str(kaggle_tree),
                "--split",
                "private",
                "--model",
                str(model),
                "--tta",
                "--json",
                str(report_path),
            ]
        )
        == 0
    )
    report = json.loads(report_path.read_text())
    assert report["split"] == "private" and report["model"] == str(model)
    assert report["n"] == 28 and 0.0 <= report["accuracy"] <= 1.0
    assert set(report["per_class"]) == set(CLASS_NAMES)
    for m in report["per_class"].values():
        assert set(m) >= {"precision", "recall", "f1", "support"}
    cm = np.array(report["confusion_matrix"])
    assert cm.shape == (NUM_CLASSES, NUM_CLASSES) and cm.sum() == 28
    assert cm.sum(axis=1).tolist() == [m["support"] for m in report["per_class"].values()]
    assert "accuracy" in capsys.readouterr().out


def test_eval_reports_missing_model(tmp_path, kaggle_tree, capsys):
    from fer_desktop.cli import main

    assert (
        main(["eval", "--data", str(kaggle_tree), "--split", "public", "--model", str(tmp_path / "x.keras")])
        == 1
    )
    assert "not found" in capsys.readouterr().err


def test_nan_loss_is_reported(tmp_path, kaggle_tree):
    from training.config import TrainConfig
    from training.fit import train

    config = TrainConfig(
        data=str(kaggle_tree),
        out=str(tmp_path / "nan"),
        epochs=2,
        batch_size=16,
        width=8,
        learning_rate=1e12,
        exclude_test_overlap=False,
        augment=False,
    )
    with pytest.raises(FloatingPointError, match="NaN"):
        train(config)


def test_ferplus_votes_relabel_training_images(tmp_path):
    from training import ferplus

    good = _face_like(0, 0).ravel()
    fer_csv = tmp_path / "fer2013.csv"
    fer_csv.write_text("emotion,pixels,Usage\n" + "".join(_csv_row(0, good) for _ in range(3)))
    votes_csv = tmp_path / "fer2013new.csv"
    votes_csv.write_text(
        "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n"
        "Training,fer0.png,0,8,0,0,2,0,0,0,0,0\n"  # happy by majority
        "Training,fer1.png,0,0,0,0,0,0,0,0,0,10\n"  # not a face: dropped
        "Training,fer2.png,5,0,0,0,0,0,5,0,0,0\n"  # a tie: soft target 50/50
    )
    data = datasets.load_fer2013_csv(fer_csv, "train")
    votes, others = ferplus.read_votes(votes_csv)
    rows = ferplus.rows_for(data, fer_csv, None)
    majority = ferplus.apply_ferplus(data, votes, others, rows, "majority")
    # A tie goes to the class that comes first in class order (fear before neutral).
    assert [CLASS_NAMES[i] for i in majority.labels] == ["happy", "fear"]
    assert majority.soft is None
    soft = ferplus.apply_ferplus(data, votes, others, rows, "soft")
    np.testing.assert_allclose(
        soft.targets()[1][[CLASS_NAMES.index("neutral"), CLASS_NAMES.index("fear")]], [0.5, 0.5]
    )
    assert soft.targets().sum(axis=1) == pytest.approx([1.0, 1.0])


def test_mixed_labels_blend_fer2013_with_the_ferplus_votes(tmp_path):
    from training import ferplus

    good = _face_like(0, 0).ravel()
    fer_csv = tmp_path / "fer2013.csv"
    fer_csv.write_text("emotion,pixels,Usage\n" + "".join(_csv_row(4, good) for _ in range(4)))  # all "sad"
    votes_csv = tmp_path / "fer2013new.csv"
    votes_csv.write_text(
        "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n"
        "Training,fer0.png,8,0,0,2,0,0,0,0,0,0\n"  # the crowd says mostly neutral
        "Training,fer1.png,0,0,0,0,0,0,0,0,0,10\n"  # not a face: dropped
        "Training,fer2.png,0,0,0,10,0,0,0,0,0,0\n"  # the crowd agrees
    )  # row 3 has no FER+ row at all: keeps FER2013's label
    data = datasets.load_fer2013_csv(fer_csv, "train")
    votes, others = ferplus.read_votes(votes_csv)
    rows = ferplus.rows_for(data, fer_csv, None)
    mixed = ferplus.mix_ferplus(data, votes, others, rows, weight=0.25)
    sad, neutral = CLASS_NAMES.index("sad"), CLASS_NAMES.index("neutral")
    targets = mixed.targets()
    assert len(mixed) == 3 and list(mixed.labels) == [sad] * 3  # class weights still see FER2013's labels
    np.testing.assert_allclose(targets[0][[sad, neutral]], [0.75 + 0.25 * 0.2, 0.25 * 0.8])
    np.testing.assert_allclose(targets[1][sad], 1.0)
    np.testing.assert_allclose(targets[2][sad], 1.0)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0)
    with pytest.raises(DatasetError, match="between 0 and 1"):
        ferplus.mix_ferplus(data, votes, others, rows, weight=1.5)


def test_ferplus_folders_need_a_manifest(kaggle_tree):
    from training import ferplus

    data = datasets.load_kaggle_folders(kaggle_tree, "train")
    with pytest.raises(DatasetError, match="manifest"):
        ferplus.rows_for(data, kaggle_tree, None)
    first = data.paths[0]
    rel = first[len(str(kaggle_tree)) + 1 :]
    (kaggle_tree / "manifest.csv").write_text(f"path,fer_row\n{rel},5\n")
    rows = ferplus.rows_for(data, kaggle_tree, None)
    assert rows[0] == 5 and (rows[1:] == -1).all()


def test_training_batches_mix_classes_even_when_data_is_sorted():
    """Loaders return images grouped by class; every batch must still mix them."""
    from training.config import TrainConfig
    from training.data_prep import make_dataset
    from training.datasets import LabeledImages

    labels = np.repeat(np.arange(NUM_CLASSES), 3000)  # sorted, larger than any shuffle buffer
    images = np.zeros((len(labels), 96, 96, 3), np.uint8)
    config = TrainConfig(data="", out="", batch_size=256, augment=False)
    ds = make_dataset(LabeledImages(images, labels), config, training=True, weights=None)
    batches = [np.argmax(y.numpy(), axis=1) for _, y in ds.take(3)]
    batches.append(np.argmax(list(ds)[-2][1].numpy(), axis=1))  # late in the epoch too
    for batch in batches:
        assert len(np.unique(batch)) == NUM_CLASSES
        assert np.bincount(batch).max() < 0.3 * len(batch)


@pytest.mark.parametrize("erasing", [0.0, 0.5, 1.0])
def test_random_erasing_hides_a_patch_in_the_share_asked_for(erasing):
    from training.config import TrainConfig
    from training.data_prep import make_dataset
    from training.datasets import LabeledImages

    n = 64
    images = np.full((n, 96, 96, 3), 128, np.uint8)  # geometric jitter leaves a flat image flat
    config = TrainConfig(data="", out="", batch_size=n, random_erasing=erasing)
    (batch, _), *_ = list(make_dataset(LabeledImages(images, np.zeros(n, int)), config, True, None))
    changed = (np.abs(batch.numpy() - 128) > 1).mean(axis=(1, 2, 3))
    erased = changed[changed > 0]
    assert ((erased > 0.005) & (erased < 0.3)).all()
    assert abs(len(erased) / n - erasing) < 0.2


def test_chance_warning_fires_once_after_a_few_epochs():
    from training.callbacks import ChanceWarning

    seen = []
    cb = ChanceWarning(chance=0.25, after_epochs=3, notify=seen.append)
    cb.on_epoch_end(0, {"val_accuracy": 0.2})  # too early to judge
    cb.on_epoch_end(1, {"val_accuracy": 0.2})
    assert seen == []
    cb.on_epoch_end(2, {"val_accuracy": 0.26})
    cb.on_epoch_end(3, {"val_accuracy": 0.25})
    assert len(seen) == 1 and "still at chance" in seen[0] and "3 epochs" in seen[0]
    healthy = ChanceWarning(chance=0.25, notify=seen.append)
    healthy.on_epoch_end(5, {"val_accuracy": 0.45})
    assert len(seen) == 1


def test_holdout_from_fer2013_training_split(kaggle_tree):
    from training.config import TrainConfig
    from training.data_prep import prepare_data

    config = TrainConfig(data=str(kaggle_tree), out="", force_holdout=True, val_fraction=0.25,
                         exclude_test_overlap=False)  # fmt: skip
    data = prepare_data(config)
    assert (len(data.train), len(data.val), data.tests) == (21, 7, {})
    assert all("Training_" in p for p in data.train.paths + data.val.paths)
    assert data.splits["val"] == "Training, 25% per class"


def test_app_augmentation_changes_light_and_keeps_the_contract():
    """The "app" profile must vary lighting and resolution yet keep grey 0..255 images."""
    from training.config import TrainConfig
    from training.data_prep import make_dataset
    from training.datasets import LabeledImages

    n = 32
    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 256, (24, 24), dtype=np.uint8), (96, 96))
    images = np.repeat(np.repeat(base[None, :, :, None], 3, axis=3), n, axis=0)
    batches = {}
    for profile in ("basic", "app"):
        config = TrainConfig(data="", out="", batch_size=n, augmentation=profile)
        (batch, _), *_ = list(make_dataset(LabeledImages(images, np.zeros(n, int)), config, True, None))
        batches[profile] = batch.numpy()
    app = batches["app"]
    assert app.min() >= 0 and app.max() <= 255
    np.testing.assert_allclose(app[..., 0], app[..., 2])  # still one grey channel, three times
    mean_spread = lambda b: b.mean(axis=(1, 2, 3)).std()  # noqa: E731
    assert mean_spread(app) > 3 * mean_spread(batches["basic"])  # brightness/contrast/gamma vary per image


def test_train_refuses_a_used_out_folder_without_overwrite(tmp_path, kaggle_tree, capsys):
    from fer_desktop.cli import main

    out = tmp_path / "earlier"
    out.mkdir()
    (out / "model.keras").write_bytes(b"an earlier model")
    args = ["train", "--data", str(kaggle_tree), "--epochs", "1", "--out", str(out)]
    assert main(args) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == b"an earlier model"

    # --overwrite passes that check; a corrupt --init is then refused before any data loads.
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    assert main([*args, "--overwrite", "--init", str(corrupt)]) == 1
    err = capsys.readouterr().err
    assert "corrupt" in err and "Traceback" not in err
    assert (out / "model.keras").read_bytes() == b"an earlier model"


def test_a_run_stopped_before_its_first_epoch_never_reports_an_earlier_checkpoint(tmp_path, kaggle_tree):
    from training.config import TrainConfig
    from training.fit import StoppedWithoutModelError, train
    from training.model import make_model

    out = tmp_path / "run"
    out.mkdir()
    make_model(width=4).save(out / "best.keras")  # left by an earlier run
    config = TrainConfig(
        data=str(kaggle_tree), out=str(out), epochs=2, batch_size=16, width=8, exclude_test_overlap=False
    )
    with pytest.raises(StoppedWithoutModelError):
        train(config, should_stop=lambda: True)
    assert not (out / "best.keras").exists() and not (out / "model.keras").exists()


def test_teacher_predictions_join_the_training_targets(tmp_path, kaggle_tree):
    """Distillation: targets are the blend asked for, and the card names each teacher by hash."""
    from training.config import TrainConfig
    from training.data_prep import prepare_data
    from training.distill import with_teachers
    from training.evaluate import predict_probs
    from training.fit import train
    from training.model import load_model, make_model

    teacher = tmp_path / "teacher.keras"
    make_model(width=8).save(teacher)
    data = datasets.load_kaggle_folders(kaggle_tree, "train")
    blended = with_teachers(data, [teacher, teacher], 0.25)
    expected = predict_probs(load_model(teacher), data.images, tta=True)
    np.testing.assert_allclose(blended.soft, 0.75 * data.targets() + 0.25 * expected, atol=1e-5)
    with pytest.raises(DatasetError):
        with_teachers(data, [teacher], 0.0)

    config = TrainConfig(
        data=str(kaggle_tree),
        out=str(tmp_path / "out"),
        epochs=1,
        width=8,
        batch_size=16,
        teachers=[str(teacher)],
        teacher_weight=0.5,
        augment=False,
        exclude_test_overlap=False,
    )
    prepared = prepare_data(config)
    assert not np.allclose(prepared.train.targets(), np.eye(NUM_CLASSES)[prepared.train.labels])
    card = train(config, data=prepared)
    assert card["teachers"][0]["sha256"] == hashlib.sha256(teacher.read_bytes()).hexdigest()
