"""``fer-desktop`` command line: the GUI by default, plus video / train / eval.

Heavy modules (TensorFlow, MediaPipe, Qt) are imported inside the command
that needs them, so ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fer_desktop import __version__, console
from fer_desktop.pipeline.tracking import DEFAULT_SMOOTHING
from fer_desktop.write_errors import describe_write_error
from training.architectures import ARCHITECTURES
from training.contract.preprocess import CROP_MARGIN
from training.contract.wording import count

# A batch of a few faces gains nothing from TensorFlow's thread pools; on two cores they
# only compete with decoding and face detection (measured: ~0.6 s less for 900 frames).
PIPELINE_TF_THREADS = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fer-desktop",
        description="Facial emotion recognition: live webcam app, video analysis, training and evaluation.",
    )
    parser.add_argument("--version", action="version", version=f"fer-desktop {__version__}")
    parser.add_argument(
        "--source",
        help="for the GUI: a camera index (default: the camera chosen last time, else 0), "
        "a video file, or a folder of images",
    )
    parser.add_argument("--model", help="emotion model (.keras) to use instead of the active one")
    parser.add_argument(
        "--quit-after", type=float, metavar="SECONDS", help="close the GUI after this long (smoke tests)"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's, absl's and LiteRT's own log lines"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    video = sub.add_parser("video", help="analyse a video file without the GUI and write a CSV")
    video.add_argument("path", help="video file")
    video.add_argument(
        "--out", help="CSV to write (one row per face per frame; default: PATH with the extension .csv)"
    )
    video.add_argument(
        "--annotated",
        metavar="OUT.mp4",
        help="also write the video with the Live tab's boxes and labels (.mp4, .avi, .mkv, .mov, .m4v)",
    )
    video.add_argument(
        "--all-frames", action="store_true", help="a row with empty face fields for each frame without a face"
    )
    video.add_argument(
        "--summary", metavar="OUT.png", help="also draw each face's emotions over time and share of time"
    )
    video.add_argument("--model", dest="sub_model", help="emotion model (.keras)")
    video.add_argument(
        "--smoothing",
        type=float,
        default=DEFAULT_SMOOTHING,
        help=f"weight of past frames in each face's probabilities, 0..0.99 "
        f"(default {DEFAULT_SMOOTHING}; 0 = raw)",
    )
    video.add_argument(
        "--margin",
        type=float,
        default=CROP_MARGIN,
        help=f"crop margin around each face (default {CROP_MARGIN})",
    )

    label = sub.add_parser("label", help="label every face in a folder of photos")
    label.add_argument("path", help="folder of photos (walked recursively; photos are never modified)")
    label.add_argument(
        "--out", required=True, help="CSV to write (one row per face; photos without one get a status)"
    )
    label.add_argument("--json", help="also write the results as JSON")
    label.add_argument(
        "--crops-to", help="write each face as a 96x96 PNG into DIR/<emotion>/ (a training dataset)"
    )
    label.add_argument("--no-detect", action="store_true", help="every image is already a face crop")
    label.add_argument("--model", dest="sub_model", help="emotion model (.keras)")
    label.add_argument(
        "--margin",
        type=float,
        default=CROP_MARGIN,
        help=f"crop margin around each face (default {CROP_MARGIN})",
    )
    label.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="label with N processes, each with its own detector and model (same output as 1)",
    )
    label.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="label only the K-th of N parts of the sorted photo list (1 <= K <= N); "
        "join the parts' CSVs with merge-labels",
    )

    merge = sub.add_parser(
        "merge-labels", help="join the CSVs of `label --shard K/N` runs into the CSV of the whole folder"
    )
    merge.add_argument("out", metavar="OUT.csv", help="CSV to write")
    merge.add_argument("parts", nargs="+", metavar="PART.csv", help="the parts' CSVs (any order)")

    train = sub.add_parser("train", help="train an emotion model")
    train.add_argument("--data", required=True, help="FER2013 folder or csv, or a class-folder tree")
    train.add_argument(
        "--extra-data", action="append", default=[], help="another class-folder tree to mix in"
    )
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    train.add_argument("--width", type=int, default=24, help="channel width of a new model")
    train.add_argument("--init", help="start from this .keras model instead of from scratch")
    train.add_argument(
        "--arch",
        choices=ARCHITECTURES,
        default="vgg",
        help="architecture of a new model (default vgg; efficientnetb2 is the seed notebook's model)",
    )
    train.add_argument(
        "--weights", metavar="PATH", help="local weights file for the efficientnetb2 body (never downloaded)"
    )
    train.add_argument("--out", help="output folder (default: a new folder in the per-user models folder)")
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="let --out be a non-empty folder (replaces its model)",
    )
    train.add_argument("--seed", type=int, default=1234)
    train.add_argument("--max-minutes", type=float, help="stop at an epoch boundary after this long")
    train.add_argument(
        "--patience", type=int, default=8, help="epochs without a better validation accuracy before stopping"
    )
    train.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW's decoupled weight decay")
    train.add_argument(
        "--random-erasing",
        type=_fraction,
        default=0.0,
        metavar="P",
        help="share of training images (0-1) with a random rectangle replaced by noise",
    )
    train.add_argument(
        "--labels",
        choices=["fer2013", "ferplus-majority", "ferplus-soft", "mixed"],
        default="fer2013",
        help="label source for FER2013's training split (validation keeps FER2013's labels); "
        "mixed blends FER2013's label with the FER+ votes",
    )
    train.add_argument(
        "--ferplus-weight",
        type=_fraction,
        default=0.5,
        metavar="W",
        help="with --labels mixed: the FER+ votes' share of each training target (default 0.5)",
    )
    train.add_argument(
        "--teacher",
        action="append",
        default=[],
        metavar="MODEL",
        help="distil from this model (repeat for several: their mirrored predictions are averaged)",
    )
    train.add_argument(
        "--teacher-weight",
        type=_fraction,
        default=0.5,
        metavar="W",
        help="with --teacher: the teachers' share of each training target (default 0.5)",
    )
    train.add_argument(
        "--augmentation",
        choices=["basic", "app"],
        default="basic",
        help="basic: flips and small shifts; app: also lighting, blur, noise and wider framing jitter",
    )
    train.add_argument("--ferplus", help="FER+ votes file fer2013new.csv (for --labels ferplus-*)")
    train.add_argument("--manifest", help="manifest.csv mapping image files to fer2013.csv rows")
    train.add_argument(
        "--skip-bad", action="store_true", help="skip unreadable/malformed data instead of stopping"
    )
    train.add_argument(
        "--keep-test-duplicates",
        action="store_true",
        help="keep training images that also appear in validation/test (not recommended)",
    )

    personal = sub.add_parser(
        "personalize", help="fine-tune a model to one person's face from DIR/<emotion>/ photos"
    )
    personal.add_argument("path", metavar="DIR", help="DIR/<emotion>/… photos of one person (any emotions)")
    personal.add_argument("--out", required=True, metavar="MODEL.keras", help="personalised model to write")
    personal.add_argument("--base", help="model to start from (default: the active model)")
    personal.add_argument("--no-detect", action="store_true", help="every image is already a face crop")
    personal.add_argument("--steps", type=int, default=30, help="fine-tuning steps (default 30)")
    personal.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    personal.add_argument(
        "--margin",
        type=float,
        default=CROP_MARGIN,
        help=f"crop margin around each face (default {CROP_MARGIN})",
    )

    ev = sub.add_parser("eval", help="evaluate a model on a dataset split")
    ev.add_argument("--data", required=True, help="FER2013 folder or csv, or a class-folder tree")
    ev.add_argument(
        "--split",
        choices=["public", "private", "test", "train", "all"],
        help="default: private for FER2013 (folders or csv), all for a class-folder tree",
    )
    ev.add_argument(
        "--detect",
        action="store_true",
        help="find and crop faces as `label` does (largest face per photo; no face = wrong)",
    )
    ev.add_argument(
        "--margin", type=float, default=CROP_MARGIN, help=f"crop margin with --detect (default {CROP_MARGIN})"
    )
    ev.add_argument("--model", dest="sub_model", help="model to evaluate (default: the shipped model)")
    ev.add_argument("--tta", action="store_true", help="also average with the mirrored image")
    ev.add_argument("--json", help="write the report as JSON here")
    ev.add_argument("--skip-bad", action="store_true", help="skip unreadable/malformed data")
    for command in sub.choices.values():  # `fer-desktop train ... --verbose` works too
        command.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help="as above")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # TensorFlow's and MediaPipe's start-up chatter is noise to users. Native output is filtered
    # only for a headless command run as the program (not main([...]) called by a test or a
    # script: its stderr is its caller's), never for the GUI (see fer_desktop/console.py).
    native = console.configure(args.verbose, filter_native=argv is None and args.command is not None)
    handlers = {None: run_gui, "video": run_video, "label": run_label, "train": run_train, "eval": run_eval,
                "personalize": run_personalize, "merge-labels": run_merge_labels}  # fmt: skip
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if native is not None:
            native.uninstall()


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is less than 1")
    return value


def _shard(text: str):
    from fer_desktop.labelling import Shard

    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _model_arg(args: argparse.Namespace) -> Path | None:
    chosen = getattr(args, "sub_model", None) or args.model
    return Path(chosen) if chosen else None


def run_gui(args: argparse.Namespace) -> int:
    from fer_desktop.ui.app import run_app

    return run_app(source=args.source, model_path=_model_arg(args), quit_after_s=args.quit_after)


def run_video(args: argparse.Namespace) -> int:
    from fer_desktop.live.sources import SourceError, VideoFileSource

    started = time.monotonic()
    video = Path(args.path)
    if video.is_dir():
        return _fail(f"{video} is a folder, not a video file (for a folder of photos: fer-desktop label)")
    out = Path(args.out) if args.out else video.with_suffix(".csv")
    outputs = [p for p in (out, args.annotated, args.summary) if p]
    if video.exists() and any(Path(p).resolve() == video.resolve() for p in outputs):
        return _fail(f"an output would replace the video itself: {video} (choose another --out/--annotated)")
    if len({Path(p).resolve() for p in outputs}) < len(outputs):
        return _fail("--out, --annotated and --summary must be three different files")
    try:
        source = VideoFileSource(video)
    except SourceError as exc:
        return _fail(str(exc))
    from fer_desktop.live.recording import RecordingError, SessionRecorder
    from fer_desktop.live.video_analysis import analyze_video
    from fer_desktop.models.catalogue import active_model_path
    from fer_desktop.models.classifier import ModelLoadError
    from fer_desktop.pipeline.analyzer import build_analyzer
    from fer_desktop.progress import Progress

    try:
        recorder = SessionRecorder(
            out,
            video_path=args.annotated,
            fps=source.fps,
            all_frames=args.all_frames,
            summary_path=args.summary,
        )
    except (RecordingError, OSError) as exc:
        source.close()
        return _fail(describe_write_error(exc, exc.filename or out) if isinstance(exc, OSError) else str(exc))
    try:
        analyzer = build_analyzer(
            _model_arg(args) or active_model_path(),
            smoothing=args.smoothing,
            margin=args.margin,
            tf_threads=PIPELINE_TF_THREADS,
        )
    except (ModelLoadError, RuntimeError) as exc:
        source.close()
        recorder.abort()
        return _fail(str(exc))
    progress = Progress(source.frame_count)
    loop_started = time.monotonic()
    try:
        summary = analyze_video(source, analyzer, recorder, progress.update)
    except (OSError, SourceError, RecordingError) as exc:
        progress.finish(recorder.summary.frames)
        if not isinstance(exc, OSError):
            return _fail(str(exc))
        for path in recorder.finished:  # the CSV and video are in place before the summary is drawn
            print(f"written: {path}", file=sys.stderr)
        return _fail(describe_write_error(exc, _failed_output(exc, recorder)))
    finally:
        source.close()
        analyzer.close()
    progress.finish(summary.frames)
    loop_rate = summary.frames / max(time.monotonic() - loop_started, 1e-6)  # bench scripts parse it
    print(
        f"{count(summary.frames, 'frame')}, {count(summary.faces, 'face')} "
        f"({count(summary.frames_with_face, 'frame')} with a face) "
        f"in {time.monotonic() - started:.1f} s ({loop_rate:.1f} frames/s analysed)",
        file=sys.stderr,
    )
    for path in outputs:
        print(f"written: {path}", file=sys.stderr)
    return 0


def _failed_output(exc: OSError, recorder) -> str | Path:
    """The output a write error belongs to, not always ``--out``: the destination the error names,
    the summary once the CSV is in place (it is drawn last), else the CSV."""
    if exc.filename2:
        return exc.filename2
    if recorder.summary_path is not None and recorder.csv_path in recorder.finished:
        return recorder.summary_path
    return recorder.csv_path


def run_label(args: argparse.Namespace) -> int:
    root = Path(args.path)
    if not root.is_dir():
        return _fail(f"not a folder: {root}")
    from training.contract.photos import IMAGE_SUFFIXES

    if not _holds_images(root, IMAGE_SUFFIXES, [args.out, args.json, args.crops_to]):
        print(f"error: no images in {root} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})", file=sys.stderr)
        return 2
    from concurrent.futures.process import BrokenProcessPool

    from fer_desktop.labelling import OutputBusyError, label_folder, model_id, state_path
    from fer_desktop.labelling.parallel import LabellerStartError
    from fer_desktop.models.catalogue import active_model_path
    from fer_desktop.progress import Progress

    model_path = _model_arg(args) or active_model_path()
    try:
        labeller = _open_labeller(args, Path(model_path))
    except RuntimeError as exc:  # ModelLoadError, MediaPipe's start-up errors
        return _fail(str(exc))
    progress = Progress(0, unit="photo")

    def on_progress(done: int, total: int, _rows) -> None:
        progress.total = total
        progress.update(done)

    try:
        _, summary = label_folder(
            root,
            labeller,
            model_key=model_id(Path(model_path)),
            out_csv=args.out,
            json_out=args.json,
            crops_to=args.crops_to,
            on_progress=on_progress,
            log=lambda msg: print(msg, file=sys.stderr),
            shard=args.shard,
        )
    except (OutputBusyError, LabellerStartError) as exc:
        return _fail(str(exc))
    except BrokenProcessPool as exc:
        return _fail(f"a labelling process ended unexpectedly ({exc}); nothing was written")
    except OSError as exc:
        return _fail(f"{describe_write_error(exc, args.out)} (each output is whole or as it was)")
    finally:
        labeller.close()
    progress.finish(summary.photos)
    print(summary.text(), file=sys.stderr)
    print(f"results written to {args.out}", file=sys.stderr)
    if args.json:
        print(f"JSON written to {args.json}", file=sys.stderr)
    if args.crops_to:
        print(f"{count(summary.crops, 'face crop')} written to {args.crops_to}", file=sys.stderr)
    print(f"bookkeeping for the next run written to {state_path(Path(args.out))}", file=sys.stderr)
    return 0


def _holds_images(root: Path, suffixes: frozenset[str], outputs: list[str | None]) -> bool:
    """Whether a file ``label`` would read has an image extension (it reads files by content,
    but a folder without a single image file is a wrong folder, not an empty result)."""
    from fer_desktop.labelling import iter_files

    # Lazily: a folder of 100,000 photos is answered at its first image, not after a full walk.
    return any(f.suffix.lower() in suffixes for f in iter_files(root, [Path(p) for p in outputs if p]))


def _open_labeller(args: argparse.Namespace, model_path: Path):
    """This process's labeller, or with ``--jobs N`` a pool of N processes with one each."""
    from fer_desktop.labelling import open_labeller

    if args.jobs == 1:
        return open_labeller(model_path, not args.no_detect, args.margin, PIPELINE_TF_THREADS)
    from fer_desktop.labelling.parallel import LabellerSpec, ProcessLabeller
    from fer_desktop.models.classifier import checked_model_file

    checked_model_file(model_path)  # a missing or damaged file is named before N processes start
    return ProcessLabeller(LabellerSpec(str(model_path), not args.no_detect, args.margin), args.jobs)


def run_merge_labels(args: argparse.Namespace) -> int:
    from fer_desktop.labelling import OutputBusyError, state_path
    from fer_desktop.labelling.merge import MergeError, merge_label_csvs

    try:
        rows, no_state = merge_label_csvs(args.out, args.parts)
    except (MergeError, OutputBusyError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"{describe_write_error(exc, args.out)} ({args.out} is whole or as it was)")
    parts = count(len(args.parts), "part")
    print(f"{count(rows, 'row')} from {parts} written to {args.out}", file=sys.stderr)
    if no_state:
        print(f"a later `label --out {args.out}` will label every photo again: {no_state}", file=sys.stderr)
    else:
        print(f"bookkeeping for the next run written to {state_path(Path(args.out))}", file=sys.stderr)
    return 0


def run_train(args: argparse.Namespace) -> int:
    from fer_desktop.paths import user_models_dir
    from training.cluster import ClusterConfigError, WorkerLostError, cluster_role
    from training.config import TrainConfig
    from training.contract.model_file import ModelFileError, check_model_file
    from training.datasets import DatasetError
    from training.fit import train

    try:
        role = cluster_role()
    except ClusterConfigError as exc:
        return _fail(str(exc))
    if role.multi_worker and args.max_minutes:
        return _fail("--max-minutes cannot be used with several workers (each would stop on its own clock)")
    if args.init and args.arch != "vgg":
        return _fail("--arch builds a new model; --init continues the given model's own architecture")
    if args.weights and args.arch != "efficientnetb2":
        return _fail("--weights is for --arch efficientnetb2 only")
    if args.weights and not Path(args.weights).is_file():
        return _fail(f"weights file not found: {args.weights}")
    out = args.out or str(user_models_dir() / time.strftime("model-%Y%m%d-%H%M%S"))
    # Only the chief writes --out; the others must not refuse (or create) a folder it fills.
    if role.is_chief and args.out and not args.overwrite and _holds_files(Path(out)):
        return _fail(f"--out {out} is not empty (an earlier model?): pick another or add --overwrite")
    config = TrainConfig(
        data=args.data,
        out=out,
        extra_data=args.extra_data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        width=args.width,
        init=args.init,
        seed=args.seed,
        max_minutes=args.max_minutes,
        patience=args.patience,
        weight_decay=args.weight_decay,
        random_erasing=args.random_erasing,
        labels=args.labels,
        ferplus_weight=args.ferplus_weight,
        augmentation=args.augmentation,
        ferplus=args.ferplus,
        manifest=args.manifest,
        on_error="skip" if args.skip_bad else "raise",
        exclude_test_overlap=not args.keep_test_duplicates,
        arch=args.arch,
        backbone_weights=args.weights,
        teachers=args.teacher,
        teacher_weight=args.teacher_weight,
    )
    for teacher in args.teacher:
        try:
            check_model_file(teacher)
        except ModelFileError as exc:
            return _fail(f"--teacher: {exc}")
    try:
        card = train(config, role=role)
    except (DatasetError, FloatingPointError, OSError, ModelFileError, WorkerLostError) as exc:
        return _fail(str(exc))
    if not role.is_chief:
        epochs = card["training"]["epochs_run"]
        print(f"{role.describe()}: {count(epochs, 'epoch')} done; the chief writes the model")
        return 0
    for split, report in card["evaluation"].items():
        print(f"{split}: accuracy {report['accuracy']:.4f} (n={report['n']})")
    print(f"model written to {Path(out) / 'model.keras'}")
    return 0


def _holds_files(folder: Path) -> bool:
    return folder.exists() and (not folder.is_dir() or any(folder.iterdir()))


def run_eval(args: argparse.Namespace) -> int:
    from fer_desktop.models.classifier import ModelLoadError, load_checked_model
    from fer_desktop.paths import default_model_path
    from training import datasets
    from training.contract import atomic
    from training.evaluate import evaluate_arrays, format_report

    model_path = _model_arg(args) or default_model_path()  # the shipped model, whatever is active
    split = args.split or datasets.default_split(args.data)
    on_error = "skip" if args.skip_bad else "raise"
    no_face, extra = None, {}
    try:
        if args.detect:
            found = _detect_faces(args.data, split, args.margin, on_error)
            data, no_face = found.faces, found.no_face
            extra = {"detect": True, "margin": args.margin, "no_face_photos": found.no_face_paths}
        else:
            data = datasets.load_any(args.data, split, on_error)
        if len(data) == 0 and not (no_face is not None and no_face.sum()):
            return _fail(f"{args.data}: no images in split {split!r}")
        model = load_checked_model(Path(model_path))
    except (datasets.DatasetError, ModelLoadError, RuntimeError) as exc:
        return _fail(str(exc))
    report = evaluate_arrays(model, data.images, data.labels, no_face=no_face, on_progress=_bar(len(data)))
    report.update(split=split, model=str(model_path), data=str(args.data), **extra)
    print(f"model {model_path}, split {split}" + (", faces detected as `label` does" if args.detect else ""))
    print(format_report(report))
    if args.tta:
        tta = evaluate_arrays(
            model, data.images, data.labels, tta=True, no_face=no_face, on_progress=_bar(len(data))
        )
        report["tta"] = {k: tta[k] for k in ("accuracy", "n", "macro_f1", "per_class", "confusion_matrix")}
        print(f"with TTA (mirror average): accuracy {tta['accuracy']:.4f}")
    if args.json:
        try:
            atomic.write_json(args.json, report)
        except OSError as exc:
            return _fail(describe_write_error(exc, args.json))
    return 0


def _bar(total: int) -> Callable[[int], None] | None:
    """A progress bar over ``total`` images, closed when the last is done (none for no images)."""
    from fer_desktop.progress import Progress

    if not total:
        return None
    progress = Progress(total, unit="image")

    def update(done: int) -> None:
        progress.update(done)
        if done >= total:
            progress.finish(done)

    return update


def _detect_faces(data: str, split: str, margin: float, on_error: str):
    """The split's photos through `label`'s decoding, face detection and cropping."""
    from fer_desktop.labelling.detected_faces import detect_labelled_faces
    from fer_desktop.pipeline.faces import FaceDetector
    from fer_desktop.progress import Progress

    progress = Progress(0, unit="photo")

    def on_progress(done: int, total: int) -> None:
        progress.total = total
        progress.update(done)

    with FaceDetector() as detector:
        found = detect_labelled_faces(data, split, detector, margin, on_error, on_progress)
    progress.finish(found.photos)
    return found


def run_personalize(args: argparse.Namespace) -> int:
    from fer_desktop.models.catalogue import active_model_path
    from fer_desktop.models.classifier import ModelLoadError
    from fer_desktop.personal.fine_tune import PersonalizeError, personalize_folder
    from fer_desktop.progress import Progress

    started = time.monotonic()
    photos = Progress(0, unit="photo")
    steps: list[Progress] = []  # the steps' bar opens with the first step, below the photos'

    def on_photo(done: int, total: int) -> None:
        photos.total = total
        photos.update(done)
        if done == total:
            photos.finish(done)

    def on_step(done: int, total: int, _loss: float) -> None:
        if not steps:
            steps.append(Progress(total, unit="step"))
        steps[0].update(done)
        if done == total:
            steps[0].finish(done)

    from training.config import PersonalizeSettings

    try:
        card = personalize_folder(
            args.path,
            args.out,
            args.base or active_model_path(),
            detect=not args.no_detect,
            margin=args.margin,
            settings=PersonalizeSettings(steps=args.steps, learning_rate=args.lr),
            on_photo=on_photo,
            on_step=on_step,
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except (PersonalizeError, ModelLoadError, FloatingPointError, RuntimeError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc}")
    held = card.get("held_out")
    if held:
        print(
            f"held-out photos ({held['n']}): accuracy {held['accuracy_before']:.1%} before, "
            f"{held['accuracy_after']:.1%} after",
            file=sys.stderr,
        )
    print(f"personalised model written to {args.out} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0
